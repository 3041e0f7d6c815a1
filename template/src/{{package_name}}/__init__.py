"""The production package: abstracted, tested code that training and serving import."""
