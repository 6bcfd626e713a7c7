package dev.pbkv.server.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Function;

/**
 * What a connection past limits.max-connections gets: the door's refusal (RESP's
 * "-ERR max number of clients reached", HTTP's 503) as soon as it opens, then the end of our
 * output. What the client sends is read and dropped until it closes: closing with its request
 * unread would make the kernel answer a reset, and the client could lose the refusal before
 * reading it. The listener closes the connection after a linger if the client never does.
 */
public final class RefusedConnection extends ChannelInboundHandlerAdapter {

    private final Function<ByteBufAllocator, Object> refusal;

    /** @param refusal builds the message to write (a ByteBuf, or what the door's encoder takes) */
    public RefusedConnection(Function<ByteBufAllocator, Object> refusal) {
        this.refusal = refusal;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(refusal.apply(ctx.alloc())).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && ctx.channel() instanceof SocketChannel socket) {
                socket.shutdownOutput();
            } else {
                ctx.close();
            }
        });
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
