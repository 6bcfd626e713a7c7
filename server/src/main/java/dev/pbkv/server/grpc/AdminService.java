package dev.pbkv.server.grpc;

import com.google.common.base.Strings;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.BackupRequest;
import dev.pbkv.proto.BackupResponse;
import dev.pbkv.proto.CoordinatorInfo;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.DumpResponse;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.PromoteResponse;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.ShutdownResponse;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.KeyValue;
import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CancellationException;

/** The Admin service: status, dump, shutdown, promotion and backups, translated to the command layer. */
final class AdminService extends AdminGrpc.AdminImplBase {
    private final Commands commands;

    AdminService(Commands commands) {
        this.commands = commands;
    }

    /** The command layer as this call's caller may use it (see {@link AuthInterceptor}). */
    private Commands commands() {
        return AuthInterceptor.commandsFor(commands);
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        observer.onNext(toProto(commands().status()));
        observer.onCompleted();
    }

    static StatusResponse toProto(NodeStatus s) {
        return StatusResponse.newBuilder()
                .setNodeId(Strings.nullToEmpty(s.nodeId()))
                .setConfiguredRole(roleOf(s.configuredRole()))
                .setRole(roleOf(s.role()))
                .setState(stateOf(s.state()))
                .setEpoch(s.epoch())
                .setLastOffset(s.lastOffset())
                .setDurableOffset(s.durableOffset())
                .setCommittedOffset(s.committedOffset())
                .setPeerAckedOffset(s.peerAckedOffset())
                .setPeerAddress(Strings.nullToEmpty(s.peerAddress()))
                .setPeerConnected(s.peerConnected())
                .setKeyCount(s.keyCount())
                .setExpiringKeyCount(s.expiringKeyCount())
                .setMemoryUsedBytes(s.memoryUsedBytes())
                .setMemoryCapacityBytes(s.memoryCapacityBytes())
                .setGrpcAddress(Strings.nullToEmpty(s.grpcAddress()))
                .setRespAddress(Strings.nullToEmpty(s.respAddress()))
                .setHttpAddress(Strings.nullToEmpty(s.httpAddress()))
                .setPrimaryAddress(Strings.nullToEmpty(s.primaryAddress()))
                .setUptimeMillis(s.uptimeMillis())
                .setCoordinator(CoordinatorInfo.newBuilder()
                        .setConnection(s.coordinator().connection().name())
                        .setAddress(s.coordinator().address())
                        .setStateVersion(s.coordinator().stateVersion())
                        .setEpoch(s.coordinator().epoch())
                        .setPrimary(Strings.nullToEmpty(s.coordinator().primary()))
                        .addAllInSync(s.coordinator().inSync())
                        .setLeader(Strings.nullToEmpty(s.coordinator().leader())))
                .build();
    }

    private static dev.pbkv.proto.Role roleOf(Role r) {
        if (r == null) {
            return dev.pbkv.proto.Role.ROLE_UNSPECIFIED;
        }
        return r == Role.PRIMARY ? dev.pbkv.proto.Role.PRIMARY : dev.pbkv.proto.Role.BACKUP;
    }

    private static dev.pbkv.proto.NodeState stateOf(NodeState s) {
        if (s == null) {
            return dev.pbkv.proto.NodeState.STATE_UNSPECIFIED;
        }
        return switch (s) {
            case COLD_START -> dev.pbkv.proto.NodeState.COLD_START;
            case WARM_START -> dev.pbkv.proto.NodeState.WARM_START;
            case BOOTSTRAP -> dev.pbkv.proto.NodeState.BOOTSTRAP;
            case SYNC -> dev.pbkv.proto.NodeState.SYNC;
            case SHUTTING_DOWN -> dev.pbkv.proto.NodeState.SHUTTING_DOWN;
        };
    }

    /**
     * Streams the dump with flow control: the command layer's dump thread waits while the
     * client's window is full, so a slow reader never makes the node buffer the whole store.
     */
    @Override
    public void dump(DumpRequest request, StreamObserver<DumpResponse> observer) {
        ServerCallStreamObserver<DumpResponse> call = (ServerCallStreamObserver<DumpResponse>) observer;
        Object readiness = new Object(); // notified when the call becomes ready or is cancelled
        call.setOnReadyHandler(() -> {
            synchronized (readiness) {
                readiness.notifyAll();
            }
        });
        call.setOnCancelHandler(() -> {
            synchronized (readiness) {
                readiness.notifyAll();
            }
        });
        commands()
                .dump(request.getAllowStale(), page -> {
                    synchronized (readiness) {
                        while (!call.isReady() && !call.isCancelled()) {
                            try {
                                readiness.wait(100);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new CancellationException("interrupted");
                            }
                        }
                    }
                    if (call.isCancelled()) {
                        throw new CancellationException("the client cancelled the dump");
                    }
                    call.onNext(pageOf(page));
                })
                .whenComplete((r, t) -> {
                    if (call.isCancelled()) {
                        return;
                    }
                    ReplyResponder.respond(
                            t == null
                                    ? java.util.concurrent.CompletableFuture.completedFuture(r)
                                    : java.util.concurrent.CompletableFuture.failedFuture(t),
                            new StreamObserver<Void>() {
                                @Override
                                public void onNext(Void value) {}

                                @Override
                                public void onError(Throwable e) {
                                    call.onError(e);
                                }

                                @Override
                                public void onCompleted() {
                                    call.onCompleted();
                                }
                            },
                            v -> null);
                });
    }

    private static DumpResponse pageOf(List<KeyValue> page) {
        DumpResponse.Builder b = DumpResponse.newBuilder();
        for (KeyValue kv : page) {
            b.addEntries(KeyValueService.entryOf(kv));
        }
        return b.build();
    }

    /** Answers once the node has drained and stopped replication; the node then closes its doors and exits. */
    @Override
    public void shutdown(ShutdownRequest request, StreamObserver<ShutdownResponse> observer) {
        ReplyResponder.respond(
                commands().shutdown(request.getSkipSwitchover()),
                observer,
                switched ->
                        ShutdownResponse.newBuilder().setSwitchedOver(switched).build());
    }

    /** Answers once the file is written and its offset committed; the file stays on the node's disk. */
    @Override
    public void backup(BackupRequest request, StreamObserver<BackupResponse> observer) {
        ReplyResponder.respond(
                commands().backup(request.getName()),
                observer,
                ack -> BackupResponse.newBuilder()
                        .setPath(ack.path())
                        .setOffset(ack.offset())
                        .setKeys(ack.keys())
                        .setBytes(ack.bytes())
                        .setDurationMs(ack.durationMs())
                        .build());
    }

    @Override
    public void promote(PromoteRequest request, StreamObserver<PromoteResponse> observer) {
        ReplyResponder.respond(
                commands().promote(request.getForce()),
                observer,
                epoch -> PromoteResponse.newBuilder().setEpoch(epoch).build());
    }
}
