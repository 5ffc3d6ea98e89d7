#!/usr/bin/env bash
# Bring up a real one-node Slurm cluster (munge + slurmctld + slurmd) on a fresh
# Debian machine, so CI can submit examples/slurm-array.sh with sbatch as a user
# would. Run as root. Re-runnable: daemons left by an earlier run are stopped
# and started again with a freshly written configuration. Exits non-zero, with
# the daemons' logs, if the node does not come up (idle).
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker="# Written by nexus-mc .ci/slurm-up.sh"
logs=(/var/log/munge/munged.log /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log)

die() { echo "slurm-up: error: $*" >&2; exit 1; }
# die, with the daemons' logs: for anything that goes wrong from munged on.
fail() {
    for f in "${logs[@]}"; do
        [[ -r $f ]] && { echo "---- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2 || true; }
    done
    die "$@"
}

# Stop daemon $2 by its pid file $1 (only if that pid still is $2, not a reused
# pid), waiting up to 10 s for it to go.
stop_pidfile() {
    local pid
    [[ -s $1 ]] || return 0
    pid=$(<"$1")
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts daemons)"
# Never overwrite a slurm.conf this script did not write: this may be a real cluster.
if [[ -f $conf ]] && ! grep -qxF "$marker" "$conf"; then
    die "$conf exists and was not written by this script; refusing to replace it"
fi

echo "== slurm-up: installing slurm-wlm and munge"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq slurm-wlm munge > /dev/null || die "apt-get install slurm-wlm munge failed"

# An earlier run (or systemd, which starts munge on install) may have left the
# daemons running; stop them so they pick up the files written below.
echo "== slurm-up: stopping daemons left from earlier runs, if any"
if [[ -d /run/systemd/system ]]; then
    systemctl stop slurmd slurmctld munge 2>/dev/null || true
fi
stop_pidfile /run/slurmd.pid slurmd
stop_pidfile /run/slurmctld.pid slurmctld
stop_pidfile /run/munge/munged.pid munged

# munged refuses to start unless its directories exist and belong to munge,
# with /etc/munge private. The package creates the key; make one if it did not.
echo "== slurm-up: starting munged"
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
munge -n | unmunge > /dev/null || fail "munge cannot encode and decode a credential"

# slurm.conf for one node that is both controller and compute node. The node's
# CPUs and topology are those `slurmd -C` detects; RealMemory is 90 % of what it
# detects, because a node reporting less memory than configured is drained.
# Addresses are 127.0.0.1 so nothing depends on the host name resolving.
# Plugins avoid cgroups and accounting, which a bare VM or container lacks;
# MailProg names a program that exists (no mail is sent) to keep the log quiet.
echo "== slurm-up: writing $conf"
host=$(hostname -s)
hw=$(slurmd -C) || fail "slurmd -C failed"
hw=${hw%%$'\n'*}    # "NodeName=... CPUs=2 Boards=1 ... RealMemory=24105"
[[ $hw =~ ^NodeName=[^\ ]+\ (CPUs=.*)\ RealMemory=([0-9]+) ]] \
    || fail "unexpected output from slurmd -C: $hw"
topo=${BASH_REMATCH[1]} mem=${BASH_REMATCH[2]}
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$conf" <<EOF
$marker
ClusterName=nexus-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 $topo RealMemory=$((mem * 9 / 10)) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

# The controller first, then the node daemon, which registers with it.
echo "== slurm-up: starting slurmctld, then slurmd"
slurmctld || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"

# The node shows unk* or down* until slurmd has registered; give it a minute.
# mix or alloc (jobs left from an earlier run still running) count as up too.
for _ in $(seq 60); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
    if [[ $state == @(idle|mix|alloc) ]]; then
        echo "== slurm-up: node $host is $state"
        sinfo
        exit 0
    fi
    sleep 1
done
fail "node $host not up after 60 s (sinfo state: '${state:-none}')"
