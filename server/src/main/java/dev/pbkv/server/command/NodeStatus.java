package dev.pbkv.server.command;

import dev.pbkv.server.coordinator.CoordinatorStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;

/**
 * What Admin.Status, RESP INFO and /metrics show about a node.
 *
 * @param keyCount         entries held (expired ones not yet removed included)
 * @param expiringKeyCount of those, the ones that have a deadline (Redis's INFO {@code expires}); O(1)
 * @param averageTtlMillis an estimate, from a random sample, of the ttl left on keys with a deadline
 *                         (Redis's INFO {@code avg_ttl}); 0 when none
 */
public record NodeStatus(
        String nodeId,
        Role configuredRole,
        Role role,
        NodeState state,
        long epoch,
        long lastOffset,
        long durableOffset,
        long committedOffset,
        long peerAckedOffset,
        String peerAddress,
        boolean peerConnected,
        long keyCount,
        long expiringKeyCount,
        long averageTtlMillis,
        long memoryUsedBytes,
        long memoryCapacityBytes,
        String grpcAddress,
        String respAddress,
        String httpAddress,
        String primaryAddress,
        long uptimeMillis,
        CoordinatorStatus coordinator) {}
