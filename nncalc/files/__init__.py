"""Reading and writing files safely: network files, arrays, examples and outputs."""
