package dev.tandem.bench;

import dev.tandem.Tandem;
import dev.tandem.engine.Names;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The table every benchmark uses, created by Tandem from {@code 001_init} in a schema of its own, and the
 * {@code 002_add} migration that adds {@code b = a * 2}. Each instance has its own migration directory and state
 * schema, so runs never see each other's migrations.
 */
final class BenchTable implements AutoCloseable {
    static final String INIT = "001_init";
    static final String ADD = "002_add";

    private static final String INIT_YAML = """
            operations:
              - create_table:
                  table: t
                  columns:
                    - {name: id, type: bigint, primary_key: true, generated: identity}
                    - {name: a, type: integer, nullable: false}
                    - {name: payload, type: text}
            """;
    private static final String ADD_YAML = """
            operations:
              - add_column:
                  table: t
                  column: {name: b, type: bigint}
                  up: "a * 2"
            """;

    private final BenchDatabase db;
    final String schema;
    private final String stateSchema;
    private final Path dir;

    private BenchTable(BenchDatabase db, String schema, Path dir) {
        this.db = db;
        this.schema = schema;
        this.stateSchema = schema + "_state";
        this.dir = dir;
    }

    /** A fresh schema with the empty table {@code t}, created (and contracted) by Tandem as a user's first migration would be. */
    static BenchTable create(BenchDatabase db, String prefix) throws IOException, SQLException {
        BenchTable t = new BenchTable(db, db.uniqueName(prefix), Files.createTempDirectory("tandem-bench-"));
        db.exec("CREATE SCHEMA " + BenchDatabase.quote(t.schema));
        Files.writeString(t.dir.resolve(INIT + ".yaml"), INIT_YAML);
        t.tandem(c -> c).migrate();
        return t;
    }

    Tandem tandem(UnaryOperator<Tandem.Config> settings) {
        return settings.apply(Tandem.configure().dataSource(db.dataSource()).migrations(dir).schema(schema)
                .stateSchema(stateSchema)).load();
    }

    /** Adds the second migration's file; nothing changes in the database until expand. */
    void writeAddColumnMigration() throws IOException {
        Files.writeString(dir.resolve(ADD + ".yaml"), ADD_YAML);
    }

    /**
     * {@code rows} rows of about 130 bytes each (id, a, a 100-character payload), written straight to the table in
     * one statement: loading is not what is measured, so it takes the fastest path and fires no trigger.
     */
    void load(long rows) throws SQLException {
        db.exec("INSERT INTO " + qualified() + " (a, payload) SELECT (g % 1000000)::int, rpad(md5(g::text), 100, md5((g + 1)::text))"
                + " FROM generate_series(1, " + rows + ") g");
    }

    String qualified() {
        return BenchDatabase.quote(schema) + ".t";
    }

    /** Connections of the application version that only knows {@code 001_init}. */
    DataSource oldVersion() {
        return db.dataSource(Names.versionSchema(schema, INIT) + "," + schema);
    }

    /** Connections of the application version that knows {@code 002_add} (valid after its expand). */
    DataSource newVersion() {
        return db.dataSource(Names.versionSchema(schema, ADD) + "," + schema);
    }

    @Override
    public void close() throws SQLException, IOException {
        db.dropSchemas(Names.versionSchema(schema, ADD), Names.versionSchema(schema, INIT), stateSchema, schema);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
