"""Other tools' formats: ONNX, PyTorch state_dicts, and the torch and scikit-learn bridges."""
