package dev.pbkv.server.command;

import dev.pbkv.server.coordinator.CoordinatorStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;

/** What Admin.Status, RESP INFO and /metrics show about a node. */
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
        long memoryUsedBytes,
        long memoryCapacityBytes,
        String grpcAddress,
        String respAddress,
        String httpAddress,
        String primaryAddress,
        long uptimeMillis,
        CoordinatorStatus coordinator) {}
