package dev.pbkv.server.grpc;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.BatchOperation;
import dev.pbkv.proto.BatchRequest;
import dev.pbkv.proto.BatchResponse;
import dev.pbkv.proto.BatchResult;
import dev.pbkv.server.command.BatchAck;
import dev.pbkv.server.command.BatchStep;
import java.util.ArrayList;
import java.util.List;

/** The Batch RPC's messages to and from the command layer's batch steps and answer. */
final class BatchTranslation {
    private BatchTranslation() {}

    /** The steps of a request; IllegalArgumentException naming an operation whose kind is not set. */
    static List<BatchStep> steps(BatchRequest request) {
        List<BatchStep> steps = new ArrayList<>(request.getOperationsCount());
        for (int i = 0; i < request.getOperationsCount(); i++) {
            BatchOperation op = request.getOperations(i);
            BatchStep.Kind kind = switch (op.getKind()) {
                case BATCH_PUT -> BatchStep.Kind.PUT;
                case BATCH_DELETE -> BatchStep.Kind.DELETE;
                case BATCH_INSERT -> BatchStep.Kind.INSERT;
                case BATCH_UPDATE -> BatchStep.Kind.UPDATE;
                case BATCH_GET -> BatchStep.Kind.GET;
                case BATCH_OPERATION_KIND_UNSPECIFIED, UNRECOGNIZED ->
                    throw new IllegalArgumentException(
                            "batch operation " + i + " has no kind (" + op.getKindValue() + "); refused, not applied");
            };
            steps.add(
                    new BatchStep(kind, op.getKey().toByteArray(), op.getValue().toByteArray()));
        }
        return steps;
    }

    static BatchResponse response(BatchAck ack) {
        BatchResponse.Builder b =
                BatchResponse.newBuilder().setOffset(ack.offset()).setDetailed(ack.detailed());
        for (byte[] before : ack.before()) {
            b.addResults(
                    before == null
                            ? BatchResult.getDefaultInstance()
                            : BatchResult.newBuilder()
                                    .setExisted(true)
                                    .setValue(ByteString.copyFrom(before))
                                    .build());
        }
        return b.build();
    }
}
