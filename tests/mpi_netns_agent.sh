#!/bin/sh
# mpi_netns_agent.sh — Open MPI's rsh agent for tests/test_mpi.c: mpirun runs `AGENT HOST CMD...`
# (as it would run ssh) to start its daemon on HOST; here every "host" is a network namespace
# the test made, named in CB_NETNS_MAP ("10.77.0.1=ns-a 10.77.0.2=ns-b"). A host not in the map
# goes to real ssh, which fails as it would for any unreachable host.
while [ $# -gt 0 ]; do
    case "$1" in
        -*) shift ;;            # ssh-style options Open MPI may add
        *) break ;;
    esac
done
host=$1
shift
for pair in $CB_NETNS_MAP; do
    if [ "${pair%%=*}" = "$host" ]; then
        # "@hang": a host that never answers, for as long as mpirun waits for it
        if [ "${pair#*=}" = "@hang" ]; then
            while kill -0 "$PPID" 2>/dev/null; do sleep 0.1; done
            exit 255
        fi
        exec ip netns exec "${pair#*=}" /bin/sh -c "$*"
    fi
done
exec ssh -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=no "$host" "$@"
