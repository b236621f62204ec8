"""Settings for the unit tests."""

import torch

# One intra-op thread, as the server uses by default (Settings.torch_threads).
# With two threads on two cores that another process kept busy, OpenMP's
# spin-waiting made these small forward passes about ten times slower.
torch.set_num_threads(1)
