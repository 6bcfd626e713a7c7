package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.SnapshotChunk;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;

/**
 * The bytes of a snapshot as they arrive in chunks from the primary, read by the store's
 * installer. Holds one chunk at a time: the blocking stub asks for the next message only when
 * the installer has consumed this one, so a large snapshot never sits in memory whole.
 */
final class SnapshotChunkStream extends InputStream {
    private final Iterator<SnapshotChunk> chunks;
    private byte[] current;
    private int pos;
    private long received;

    SnapshotChunkStream(SnapshotChunk first, Iterator<SnapshotChunk> rest) {
        this.chunks = rest;
        this.current = first.getData().toByteArray();
        this.received = current.length;
    }

    long received() {
        return received;
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return current[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean fill() throws IOException {
        try {
            while (pos >= current.length) {
                if (!chunks.hasNext()) {
                    return false;
                }
                current = chunks.next().getData().toByteArray();
                pos = 0;
                received += current.length;
            }
            return true;
        } catch (StatusRuntimeException e) {
            throw new IOException("snapshot transfer failed: " + e.getStatus(), e);
        }
    }
}
