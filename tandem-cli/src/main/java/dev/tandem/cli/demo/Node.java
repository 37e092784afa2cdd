package dev.tandem.cli.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tandem.client.TandemDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One service node: a small pool and a few workers that take requests from the load balancer's queue while the
 * node is in rotation. It runs one application version; upgrading it means stopping it and starting a new one.
 */
final class Node implements AutoCloseable {
    final String id;
    final String version;
    private final HikariDataSource pool;
    private final TandemDataSource versioned;
    private final DataSource connections;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicBoolean inRotation = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();

    /**
     * @param tandemRouting true: connections are pinned to the version's schema by {@link TandemDataSource};
     *                      false: the naive way, straight at the tables
     */
    Node(String id, String version, DemoDatabase database, String schema, String stateSchema, int threads, boolean tandemRouting,
         BlockingQueue<Requests.Kind> balancer, Requests requests, Metrics metrics) {
        this.id = id;
        this.version = version;
        HikariConfig config = new HikariConfig();
        config.setDataSource(database.applications());
        config.setPoolName(id + "-" + version);
        config.setMaximumPoolSize(threads);
        config.setMinimumIdle(threads);
        config.setConnectionTimeout(5000);
        if (!tandemRouting) {
            config.setConnectionInitSql(database.dialect().setSearchPathStatement(List.of(schema)));
        } else {
            // Where the version's own connections sit before TandemDataSource first checks them out: a pool's idle
            // connection with no default database is one the MariaDB contract guard cannot attribute, and it refused
            // the demo's contract over one of these (README, "MariaDB", what the contract guard sees).
            config.setConnectionInitSql(database.dialect().setSearchPathStatement(
                    List.of(dev.tandem.engine.Names.versionSchema(schema, version), schema)));
        }
        this.pool = new HikariDataSource(config);
        this.versioned = tandemRouting ? TandemDataSource.builder(pool, version).schema(schema).stateSchema(stateSchema).instanceId(id)
                .heartbeat(Duration.ofSeconds(2)).build() : null;
        this.connections = tandemRouting ? versioned : pool;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> work(balancer, requests, metrics), id + "-worker-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
    }

    void start() {
        inRotation.set(true);
        workers.forEach(Thread::start);
    }

    private void work(BlockingQueue<Requests.Kind> balancer, Requests requests, Metrics metrics) {
        while (!stopped.get()) {
            Requests.Kind kind;
            try {
                kind = inRotation.get() ? balancer.poll(100, TimeUnit.MILLISECONDS) : null;
                if (kind == null) {
                    if (!inRotation.get()) Thread.sleep(20);
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            long t0 = System.nanoTime();
            Exception failure = null;
            try (Connection c = connections.getConnection()) {
                requests.run(c, kind);
            } catch (Exception e) {
                failure = e;
            }
            metrics.record(version, System.nanoTime() - t0, failure);
        }
    }

    /** Out of rotation: takes no new requests; those in flight finish. */
    void drain() throws InterruptedException {
        inRotation.set(false);
        Thread.sleep(200);
    }

    @Override
    public void close() {
        inRotation.set(false);
        stopped.set(true);
        for (Thread t : workers) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (versioned != null) versioned.close();
        pool.close();
    }
}
