package dev.tandem.cli.demo;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends requests at a steady rate to whichever nodes are in rotation: a node taken out simply stops taking them,
 * and the others absorb its share. Requests that find every node busy for too long are shed and counted.
 */
final class LoadBalancer implements AutoCloseable {
    final BlockingQueue<Requests.Kind> queue;
    private final Runnable onShed;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread generator;

    /** @param onShed called for each request shed, so that it is counted in the step of the upgrade it fell in */
    LoadBalancer(int requestsPerSecond, Runnable onShed) {
        this.onShed = onShed;
        this.queue = new ArrayBlockingQueue<>(Math.max(10, requestsPerSecond * 5));
        this.generator = new Thread(() -> generate(requestsPerSecond), "load-balancer");
        generator.setDaemon(true);
        generator.start();
    }

    private void generate(int rate) {
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        while (running.get()) {
            next += interval;
            if (!queue.offer(Requests.pick())) onShed.run();
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        running.set(false);
        generator.interrupt();
        queue.clear();
    }
}
