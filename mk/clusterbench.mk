# `make bench-cluster`: failover, controller failover, rejoin and acks=all
# produce figures of a throw-away three-node cluster (scripts/bench-cluster.sh).
# Not part of `make test`.

.PHONY: bench-cluster
bench-cluster: all
	@BUILD=$(BUILD) ./scripts/bench-cluster.sh
