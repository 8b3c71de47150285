"""What the floors share with nncalc's output to a pipe: no trailing spaces."""


class Stripped:
    """A text file without the spaces Rich pads lines with, as nncalc prints to a pipe."""

    def __init__(self, file) -> None:
        self.file = file

    def write(self, text: str) -> int:
        self.file.write("\n".join(line.rstrip(" ") for line in text.split("\n")))
        return len(text)

    def flush(self) -> None:
        self.file.flush()
