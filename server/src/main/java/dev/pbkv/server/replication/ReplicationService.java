package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.EpochAtRequest;
import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.ProbeRequest;
import dev.pbkv.proto.replication.ProbeResponse;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** The node-to-node gRPC service; every call goes to the node's {@link PairReplicator}. */
final class ReplicationService extends ReplicationGrpc.ReplicationImplBase {
    private final PairReplicator replicator;

    ReplicationService(PairReplicator replicator) {
        this.replicator = replicator;
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> response) {
        response.onNext(ProbeResponse.newBuilder()
                .setNode(replicator.onProbe(request.getCaller()))
                .build());
        response.onCompleted();
    }

    @Override
    public StreamObserver<BackupMessage> replicate(StreamObserver<PrimaryMessage> response) {
        return replicator.newSession((ServerCallStreamObserver<PrimaryMessage>) response);
    }

    @Override
    public void fetchSnapshot(SnapshotRequest request, StreamObserver<SnapshotChunk> response) {
        replicator.serveSnapshot(request, (ServerCallStreamObserver<SnapshotChunk>) response);
    }

    @Override
    public void epochAt(EpochAtRequest request, StreamObserver<EpochAtResponse> response) {
        response.onNext(replicator.epochsAt(request.getOffsetsList()));
        response.onCompleted();
    }
}
