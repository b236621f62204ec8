"""cnnvis: trained digit networks served with views of how they compute."""

__version__ = "0.1.0"
