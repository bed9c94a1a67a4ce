#compdef claudecli

_claudecli_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _CLAUDECLI_COMPLETE=complete_zsh claudecli)
}

compdef _claudecli_completion claudecli
