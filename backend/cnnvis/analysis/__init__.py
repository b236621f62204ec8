"""Computations behind the views: pure torch, no HTTP."""
