"""A run: inputs, the untiled and tiled passes, the L-BFGS loop (stylize), its state and cost."""
