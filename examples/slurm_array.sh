#!/bin/bash
# A SLURM array job: every task trains with its own learning rate and writes its run into ONE database
# that lives on the machine running the ploteries server (no shared filesystem needed).
#
# On the server machine (once):
#     export PLOTERIES_TOKEN=$(python -c "import secrets; print(secrets.token_urlsafe(32))")
#     ploteries serve /data/runs --accept-writes --host 0.0.0.0 --port 6006
# Then submit, with the same token in the environment:
#     PLOTERIES_TOKEN=... PLOTERIES_SERVER=http://login1:6006 sbatch examples/slurm_array.sh
# Without SLURM (to try it), run a task by hand:
#     SLURM_ARRAY_TASK_ID=2 PLOTERIES_SERVER=http://127.0.0.1:6006 bash examples/slurm_array.sh
#
#SBATCH --job-name=ploteries-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
#SBATCH --export=ALL
set -euo pipefail

: "${PLOTERIES_SERVER:?set PLOTERIES_SERVER to the server, e.g. http://login1:6006}"
: "${PLOTERIES_TOKEN:?set PLOTERIES_TOKEN to the token of the server}"
TASK=${SLURM_ARRAY_TASK_ID:-0}
LRS=(0.3 0.1 0.03 0.01 0.003 0.001 0.0003 0.0001)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python "$HERE/slurm_train.py" \
    --database "$PLOTERIES_SERVER/sweep.h5" \
    --lr "${LRS[$TASK]}" \
    --steps "${STEPS:-200}"

# Records the server did not take before the job ended (server restarting, network down) wait in this
# node's spool (~/.cache/ploteries/spool): the next job on the node sends them, or do it now:
ploteries push || true
