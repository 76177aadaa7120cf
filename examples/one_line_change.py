"""The only change a training script needs: the import line.

python examples/one_line_change.py runs/one_line      # then: python -m ploteries.viz runs
"""

import math
import sys

# from torch.utils.tensorboard import SummaryWriter        # before
from ploteries.compat import SummaryWriter  # after: same API, one crash-safe HDF5 file

log_dir = sys.argv[1] if len(sys.argv) > 1 else "runs/one_line"
writer = SummaryWriter(log_dir)  # writes <log_dir>/ploteries.h5, run named after log_dir
for step in range(100):
    writer.add_scalar("loss/train", math.exp(-step / 30), step)
    writer.add_scalars("curves", {"sin": math.sin(step / 10), "cos": math.cos(step / 10)}, step)
writer.add_text("notes", "logged with **ploteries** through the TensorBoard API", 0)
writer.close()
print(f"wrote {writer.database} (run {writer.run!r})")
