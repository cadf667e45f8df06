package io.genorch.common.outputs;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A Reactive Streams publisher of bytes (the AWS SDK's response body) as a Vert.x {@link ReadStream}, so it can be
 * piped into an HTTP response with back-pressure: one chunk is requested at a time, and none while paused. Every
 * handler runs on the given context.
 */
final class PublisherReadStream implements ReadStream<Buffer>, Subscriber<ByteBuffer> {

  private final Context context;
  private Subscription subscription;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private boolean paused;
  private boolean requested;
  private boolean done;

  PublisherReadStream(Context context) {
    this.context = context;
  }

  @Override
  public void onSubscribe(Subscription s) {
    context.runOnContext(v -> {
      subscription = s;
      requestIfWanted();
    });
  }

  @Override
  public void onNext(ByteBuffer bytes) {
    byte[] copy = new byte[bytes.remaining()];
    bytes.get(copy);
    context.runOnContext(v -> {
      requested = false;
      if (handler != null) {
        handler.handle(Buffer.buffer(copy));
      }
      requestIfWanted();
    });
  }

  @Override
  public void onError(Throwable t) {
    context.runOnContext(v -> {
      done = true;
      if (exceptionHandler != null) {
        exceptionHandler.handle(t);
      }
    });
  }

  @Override
  public void onComplete() {
    context.runOnContext(v -> {
      done = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
    });
  }

  private void requestIfWanted() {
    if (subscription != null && !paused && !requested && !done && handler != null) {
      requested = true;
      subscription.request(1);
    }
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler == null && subscription != null && !done) {
      subscription.cancel();
      done = true;
    }
    requestIfWanted();
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    paused = true;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    paused = false;
    requestIfWanted();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    return resume();
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }
}
