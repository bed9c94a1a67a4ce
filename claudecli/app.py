def main() -> None:  # replaced shortly
    pass
