package dev.tandem.bench;

import dev.tandem.Tandem;
import dev.tandem.client.TandemDataSource;
import dev.tandem.engine.Names;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Tandem's way, as a rolling upgrade does it: expand (a BIGINT shadow column kept in step by sync triggers), backfill
 * (batched, throttled), then the application's instances move to the new version one by one (each client reconnects
 * through a {@link TandemDataSource} of the new version, which reads {@code n} as the shadow column), then contract
 * once no instance of the old version is left. Until its turn, a client writes the base table as the old version.
 */
final class TandemWiden implements WidenContender {
    static final String MIGRATION = "001_widen_n";
    static final String YAML = """
            operations:
              - alter_column:
                  table: t
                  column: n
                  type: bigint
                  up: n
                  down: n
            """;

    /** Between two instances' moves to the new version, as a rolling upgrade restarts one node after another. */
    private static final Duration UPGRADE_STEP = Duration.ofMillis(200);

    private final String key;
    private final String label;
    private final UnaryOperator<Tandem.Config> settings;
    private final List<TandemDataSource> instances = new ArrayList<>();

    /** @param settings what differs from Tandem's defaults (nothing for the contender that stands for Tandem) */
    TandemWiden(String key, String label, UnaryOperator<Tandem.Config> settings) {
        this.key = key;
        this.label = label;
        this.settings = settings;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String applicationDatabase(String database) {
        return Names.versionSchema(database, MIGRATION);
    }

    @Override
    public List<String> createdDatabases(String database) {
        return List.of(Names.versionSchema(database, MIGRATION), stateDatabase(database));
    }

    private static String stateDatabase(String database) {
        return database + "_state";
    }

    @Override
    public Change change(Context context) throws Exception {
        Path dir = Files.createDirectories(context.workDir().resolve("migrations-" + context.database()));
        Files.writeString(dir.resolve(MIGRATION + ".yaml"), YAML);
        String state = stateDatabase(context.database());
        SteadyLoad load = context.load();
        load.phase("expand");
        // By URL, as the command line connects: Tandem then adds allowMultiQueries=true, which its MariaDB steps need
        // (a data source handed over without it fails at the sync triggers' step with a syntax error, 1064).
        MariaDbBenchServer server = context.server();
        Tandem tandem = settings.apply(Tandem.configure().url(server.url(context.database()), server.user(), server.password())
                .schema(context.database()).stateSchema(state).migrations(dir)).load();
        tandem.expand();
        load.phase("backfill");
        long t0 = System.nanoTime();
        tandem.backfill();
        double backfill = (System.nanoTime() - t0) / 1e9;
        load.phase("upgrade");
        for (int i = 0; i < load.clients(); i++) {
            TandemDataSource instance = TandemDataSource.builder(context.server().dataSource(context.database()), MIGRATION)
                    .schema(context.database()).stateSchema(state).instanceId("bench-client-" + i).build();
            instances.add(instance);
            load.connect(i, instance);
            Thread.sleep(UPGRADE_STEP.toMillis());
        }
        load.phase("contract");
        tandem.contract(Duration.ofSeconds(30), false);
        return new Change(backfill, List.of("expand, backfill, " + load.clients() + " clients move to version "
                + MIGRATION + " " + UPGRADE_STEP.toMillis() + " ms apart, contract; migration: alter_column n type bigint, up: n, down: n"));
    }

    @Override
    public void close() {
        for (TandemDataSource i : instances) i.close();
    }
}
