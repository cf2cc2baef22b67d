#!/bin/sh
# Test stand-in for the redis:7-bookworm image's entrypoint (test/kube/agent-cluster.ts): runs the
# chart's args (redis-server ...) with Debian's redis-server, bound to the pod's IP since pods share
# the host's network here, with protected mode off as the image builds Redis (clients come from
# other pods' addresses).
set -eu
exec "$@" --bind "$POD_IP" --protected-mode no
