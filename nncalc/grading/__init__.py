"""Answer sheets, marking students, and the lecture's quiz."""
