package dev.tandem.cli.demo;

import dev.tandem.MigrationStatus;
import dev.tandem.Tandem;
import dev.tandem.TandemListener;
import dev.tandem.catalog.VersionNames;
import dev.tandem.engine.Step;
import dev.tandem.state.StateStore;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The rolling upgrade of an identity service, node by node, under live traffic — or, with {@code naive}, the same
 * change the way a plain migration tool makes it — measured request by request.
 */
final class Demo {
    record Settings(int rows, int nodes, int threadsPerNode, int requestsPerSecond, Duration dwell, boolean naive) {
    }

    private final DemoDatabase db;
    private final DataSource database;
    private final DemoSchemas schemas;
    private final String schema;
    private final Path migrations;
    private final Settings settings;
    private final PrintWriter log;
    private final Metrics metrics = new Metrics();
    private final Set<Long> created = ConcurrentHashMap.newKeySet();
    private final Set<Long> deleted = ConcurrentHashMap.newKeySet();
    private final Queue<Long> deletable = new ConcurrentLinkedQueue<>();
    /** What both versions read of every row while both still ran, compared just before contract. */
    private final List<DemoReport.Check> bothVersions = new ArrayList<>();

    Demo(DemoDatabase db, DemoSchemas schemas, Path migrations, Settings settings, PrintWriter log) {
        this.db = db;
        this.database = db.admin(schemas.schema);
        this.schemas = schemas;
        this.schema = schemas.schema;
        this.migrations = migrations;
        this.settings = settings;
        this.log = log;
    }

    DemoReport run() throws Exception {
        Tandem tandem = tandem(TandemListener.NONE);
        announce("the change: " + DemoSchema.V1 + " -> " + DemoSchema.V2 + (settings.naive()
                ? ", as a plain migration tool makes it (" + db.naiveStep() + ")"
                : ", as Tandem makes it (expand, backfill, contract)"));
        for (String line : db.changeSummary()) announce("  " + line);
        announce("preparing: " + db.schemaWord() + " " + schema + " on " + db.kind() + " with " + settings.rows()
                + " users (migration " + DemoSchema.V1 + ")");
        DemoSchema.write(migrations, db, false);
        tandem.migrate();
        exec(db.seed(settings.rows()), DemoSchema.V1);
        DemoSchema.write(migrations, db, true);
        if (settings.naive()) {
            // A plain migration tool has no version schemas: its applications use the tables themselves.
            try (Connection c = database.getConnection()) {
                db.drop(c, schemas.versionSchema(DemoSchema.V1));
            }
        }

        List<Node> nodes = new ArrayList<>();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-live-line");
            t.setDaemon(true);
            return t;
        });
        try (LoadBalancer balancer = new LoadBalancer(settings.requestsPerSecond(), metrics::shed)) {
            ticker.scheduleAtFixedRate(this::liveLine, 1, 1, TimeUnit.SECONDS);
            step("all " + settings.nodes() + " nodes serve version " + DemoSchema.V1);
            for (int i = 1; i <= settings.nodes(); i++) nodes.add(startNode(i, DemoSchema.V1, balancer));
            Thread.sleep(settings.dwell().toMillis());
            if (settings.naive()) naive(nodes, balancer);
            else rolling(tandem, nodes, balancer);
            step("all nodes serve version " + DemoSchema.V2);
            Thread.sleep(settings.dwell().toMillis());
            // Nodes first: the requests in flight finish, and count, in the last step, before its last line.
            for (Node n : nodes) n.close();
            ticker.shutdownNow();
            synchronized (this) {
                print(metrics.finish());
            }
            return new DemoReport(settings.naive() ? "naive" : "rolling", settings.rows(), settings.nodes(),
                    DemoReport.rows(metrics.steps()), consistency(), List.copyOf(metrics.errorSamples));
        } finally {
            ticker.shutdownNow();
            for (Node n : nodes) n.close();
        }
    }

    private void rolling(Tandem plain, List<Node> nodes, LoadBalancer balancer) throws Exception {
        // The safe order: the new version serves only once its data is complete, so the backfill runs under the
        // previous version's traffic, and the nodes move over after it.
        Metrics.Step s = step("expand " + DemoSchema.V2 + " (" + DemoSchema.V1 + " keeps serving)");
        tandem(lockWaits(s)).expand();
        announce("  " + DemoSchema.V2 + " is not ready: its schema is created when the backfill completes");
        Metrics.Step backfill = step("backfill under " + DemoSchema.V1 + " traffic");
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong filled = new java.util.concurrent.atomic.AtomicLong();
        tandem(new TandemListener() {
            private long last;

            @Override
            public void backfillProgress(String migration, String table, long done, long total, double rowsPerSecond) {
                filled.set(done);
                if (System.nanoTime() - last > 1_000_000_000L || done == total) {
                    last = System.nanoTime();
                    announce(String.format("  backfill %s: %d/%d rows (%.0f%%), %.0f rows/s; %s not ready", table, done,
                            total, total == 0 ? 100.0 : 100.0 * done / total, rowsPerSecond, DemoSchema.V2));
                }
            }
        }).backfill();
        // The rows the backfill reports, not the seeded count: users created before it started are filled too.
        backfill.backfillRowsPerSecond = filled.get() / ((System.nanoTime() - t0) / 1e9);
        MigrationStatus ready = plain.status().migrations().get(1);
        announce("  " + DemoSchema.V2 + " is " + (ready.ready() ? "ready" : "NOT ready") + " (" + ready.phase() + ")");
        for (int i = 1; i <= nodes.size(); i++) {
            Node old = nodes.get(i - 1);
            step("node " + i + ": out of rotation, stopped");
            old.drain();
            old.close();
            step("node " + i + ": back on " + DemoSchema.V2);
            nodes.set(i - 1, startNode(i, DemoSchema.V2, balancer));
            Thread.sleep(settings.dwell().toMillis());
        }

        bothVersions.addAll(bothVersionsAgree());
        step("contract guard: is any " + DemoSchema.V1 + " instance left?");
        List<StateStore.Instance> old = plain.status().instances().stream()
                .filter(i -> !i.version().equals(DemoSchema.V2)).toList();
        announce(old.isEmpty() ? "  confirmed: every live instance runs " + DemoSchema.V2
                : "  still running on other versions: " + old);
        Metrics.Step contract = step("contract " + DemoSchema.V2);
        tandem(lockWaits(contract)).contract(Duration.ofSeconds(30), false);
        MigrationStatus done = plain.status().migrations().get(1);
        announce("  " + done.name() + " is " + done.phase());
    }

    private void naive(List<Node> nodes, LoadBalancer balancer) throws Exception {
        step("naive: " + db.naiveStep() + " while " + DemoSchema.V1 + " serves");
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            db.dialect().setSearchPath(c, List.of(schema));
            c.setAutoCommit(false);
            for (String sql : db.naiveChange()) st.execute(sql);
            c.commit();
        }
        for (int i = 1; i <= nodes.size(); i++) {
            step("naive: restart node " + i + " on " + DemoSchema.V2);
            Node old = nodes.get(i - 1);
            old.drain();
            old.close();
            nodes.set(i - 1, startNode(i, DemoSchema.V2, balancer));
            Thread.sleep(settings.dwell().toMillis() / 2);
        }
    }

    private Node startNode(int i, String version, LoadBalancer balancer) {
        Node node = new Node("node-" + i, version, db, schema, schemas.stateSchema(), settings.threadsPerNode(), !settings.naive(),
                balancer.queue, new Requests(version, settings.rows(), created, deletable, deleted), metrics);
        node.start();
        return node;
    }

    private Tandem tandem(TandemListener listener) {
        return Tandem.configure().dataSource(database).migrations(migrations).schema(schema)
                .stateSchema(schemas.stateSchema()).listener(listener).load();
    }

    private static TandemListener lockWaits(Metrics.Step step) {
        step.ranDdl = true;
        return new TandemListener() {
            @Override
            public void stepRetry(String migration, Step s, int attempt, Duration wait, String reason) {
                step.lockWaits.incrementAndGet();
            }
        };
    }

    /** The last live line of the step that ends, then the next step's heading, in that order. */
    private synchronized Metrics.Step step(String name) {
        print(metrics.begin(name));
        announce("==> " + name);
        return metrics.current();
    }

    private void announce(String text) {
        log.println(text);
    }

    private synchronized void liveLine() {
        print(metrics.interval());
    }

    private void print(Metrics.Interval line) {
        if (line.isEmpty()) return;
        StringBuilder sb = new StringBuilder("    ");
        line.byVersion().forEach((v, s) -> sb.append(v).append(": ").append(s).append("   "));
        if (line.shed() > 0) sb.append(line.shed()).append(" shed");
        log.println(sb.toString().stripTrailing());
    }

    private void exec(String sql, String version) throws SQLException {
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            db.dialect().setSearchPath(c, List.of(schemas.versionSchema(version), schema));
            st.execute(sql);
        }
    }

    /**
     * While both versions still run (after the backfill and the roll-out, before contract): every row, those written
     * during the upgrade by either version included, reads the same through both versions' schemas. One statement in
     * one REPEATABLE READ transaction, so that the nodes' writes meanwhile cannot make the counts disagree.
     */
    private List<DemoReport.Check> bothVersionsAgree() throws SQLException {
        List<DemoReport.Check> checks = new ArrayList<>();
        String v1 = schemas.quoted(schemas.versionSchema(DemoSchema.V1)) + ".users";
        String v2 = schemas.quoted(schemas.versionSchema(DemoSchema.V2)) + ".users";
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            String differ = db.isDistinct("o.name", "n.username") + " OR " + db.isDistinct("o.password_hash", "n.password_hash")
                    + " OR " + db.isDistinct("o.enabled <> 0", "n.enabled") + " OR n.email IS NULL";
            long[] counts = new long[4];
            try (ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM " + v1 + "), (SELECT count(*) FROM " + v2 + "),"
                    + " (SELECT count(*) FROM " + v1 + " o JOIN " + v2 + " n ON o.id = n.id),"
                    + " (SELECT count(*) FROM " + v1 + " o JOIN " + v2 + " n ON o.id = n.id WHERE " + differ + ")")) {
                rs.next();
                for (int i = 0; i < counts.length; i++) counts[i] = rs.getLong(i + 1);
            }
            c.commit();
            long rows = counts[1];
            // Rows only one version sees, and rows both see with different values.
            long wrong = (counts[0] - counts[2]) + (counts[1] - counts[2]) + counts[3];
            checks.add(new DemoReport.Check("before contract, every row reads the same through both versions",
                    wrong == 0, wrong == 0 ? rows + " rows compared" : wrong + " of " + rows + " rows differ"));
        }
        announce("  both versions read the same " + (checks.get(0).ok() ? "in every row" : "NOT in every row")
                + " (" + checks.get(0).detail() + ")");
        return checks;
    }

    /**
     * After the upgrade: every row present, in the new version's shape, with values both versions agree on. Read
     * through the new version's schema (after a naive change, which has none, the table itself has that shape).
     */
    private List<DemoReport.Check> consistency() throws SQLException {
        List<DemoReport.Check> checks = new ArrayList<>(bothVersions);
        String v2 = settings.naive() ? null : schemas.versionSchema(DemoSchema.V2);
        String users = schemas.quoted(v2 == null ? schema : v2) + ".users";
        try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
            long expected = settings.rows() + created.size() - deleted.size();
            long actual = scalar(st, "SELECT count(*) FROM " + users);
            checks.add(new DemoReport.Check("row count is seeded + created - deleted", expected == actual,
                    "expected " + expected + ", found " + actual));
            long seeded = scalar(st, "SELECT count(*) FROM " + users + " WHERE username = concat('user', id) AND id <= " + settings.rows());
            checks.add(new DemoReport.Check("every seeded user is still there under its name", seeded == settings.rows(),
                    seeded + " of " + settings.rows()));
            Set<Long> found = new HashSet<>();
            try (ResultSet rs = st.executeQuery("SELECT id FROM " + users + " WHERE id > " + settings.rows())) {
                while (rs.next()) found.add(rs.getLong(1));
            }
            List<Long> alive = created.stream().filter(id -> !deleted.contains(id)).toList();
            long there = alive.stream().filter(found::contains).count();
            checks.add(new DemoReport.Check("every user created during the upgrade (by either version) is there",
                    there == alive.size(), there + " of " + alive.size()));
            long badEmail = scalar(st, "SELECT count(*) FROM " + users + " WHERE " + db.isDistinct("email", "concat(lower(username), '@example.org')")
                    + " AND " + db.isDistinct("email", "concat(username, '@v2.example')"));
            checks.add(new DemoReport.Check("every email is the one its version gave it", badEmail == 0, badEmail + " wrong"));
            checks.add(onlyNewColumns(c, v2));
        }
        return checks;
    }

    /**
     * The table itself holds the new version's columns and nothing else: no column of the old version, none of
     * Tandem's. Where the database keeps physical names (MariaDB), the new version's views alias them, and the
     * check compares the table's columns under those aliases.
     */
    private DemoReport.Check onlyNewColumns(Connection c, String v2) throws SQLException {
        VersionNames names = db.dialect().versionNames(c, v2);
        List<String> columns = new ArrayList<>();
        List<String> aliased = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = 'users' ORDER BY ordinal_position")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String physical = rs.getString(1);
                    String name = names.column("users", physical);
                    columns.add(name);
                    if (!name.equals(physical)) aliased.add(physical + " as " + name);
                }
            }
        }
        boolean ok = columns.size() == NEW_COLUMNS.size() && Set.copyOf(columns).equals(NEW_COLUMNS);
        return new DemoReport.Check("the table has only the new version's columns", ok,
                !ok ? "found " + columns : aliased.isEmpty() ? null : "the new version's views name " + String.join(", ", aliased));
    }

    private static final Set<String> NEW_COLUMNS = Set.of("id", "username", "password_hash", "enabled", "email");

    private static long scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
