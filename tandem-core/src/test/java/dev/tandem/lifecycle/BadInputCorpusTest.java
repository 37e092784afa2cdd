package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.BadInputCorpus;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every migration of the bad-input corpus ({@code src/test/resources/bad-input}, listed with its expected place and
 * message in {@code cases.tsv}) is refused by expand as invalid input (exit code 2), at its file:line:column, with a
 * message that says what is wrong, and leaves the database exactly as it was: catalog, version schemas, Tandem's
 * state, the rows, and no table anywhere that an injected statement would have created. On every database: on MariaDB
 * the before/after comparison is {@link MariaDbSnapshot} (every table, view, trigger, routine and event of the schema's
 * databases as the server prints them); a case whose message is the database's own says so in {@code cases.tsv}.
 */
class BadInputCorpusTest {
    /** The schema holding users(id, name, enabled, extra) with two rows, made once per database. */
    private static final Map<TestDatabase, String> schemas = new EnumMap<>(TestDatabase.class);

    @TempDir
    Path dir;

    static synchronized String schema(TestDatabase db) {
        return schemas.computeIfAbsent(db, d -> {
            String schema = d.newSchema("corpus");
            Path base = Path.of("target", "corpus-" + schema).toAbsolutePath();
            new Migrations(mkdirs(base)).write("001_init.yaml", UserTableLifecycleTest.V1);
            d.tandem(schema).migrations(base).load().migrate();
            Rows.update(d.application(schema, "001_init"), "INSERT INTO users (name, enabled, extra) VALUES ('Ann', 1, 'x'), ('Bo', 0, 'y')");
            return schema;
        });
    }

    private static Path mkdirs(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(TestDatabase.values()).flatMap(db -> BadInputCorpus.cases().stream()
                .filter(c -> c.appliesTo(db)).map(c -> Arguments.of(db, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void isRefusedWhereItIsWrongAndChangesNothing(TestDatabase db, BadInputCorpus.Case c) throws Exception {
        Object before = databaseState(db);
        Path file = c.writeAsMigration(dir, "002");
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        TandemException e = catchThrowableOfType(() -> tandem(db).expand(), TandemException.class);
        // A case expanded by mistake is undone, so that it fails alone and not every case after it.
        if (e == null) tandem(db).rollback();
        assertThat(e).as("refused").isNotNull();
        assertThat(e.kind()).as(e.getMessage()).isEqualTo(TandemException.Kind.INVALID_INPUT);
        assertThat(e.kind().exitCode).isEqualTo(2);
        assertThat(e.getMessage()).contains(file + ":" + c.where(db) + ": ").contains(c.message(db));
        assertThat(databaseState(db)).isEqualTo(before);
    }

    @OnEveryDatabase
    void aHugeFileIsRefusedBeforeItIsParsed(TestDatabase db) throws Exception {
        Object before = databaseState(db);
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        Path huge = dir.resolve("002_huge.yaml");
        Files.writeString(huge, "operations:\n" + "  # padding that makes the file larger than any migration\n".repeat(100_000));
        assertThat(Files.size(huge)).isGreaterThan(5_000_000);
        TandemException e = catchThrowableOfType(() -> tandem(db).expand(), TandemException.class);
        assertThat(e.kind()).isEqualTo(TandemException.Kind.INVALID_INPUT);
        assertThat(e.getMessage()).contains(huge + ":1:1: ").contains("a migration file may have at most 4 MB");
        assertThat(databaseState(db)).isEqualTo(before);
    }

    /** The MariaDB comparison is not blind: each kind of object expand makes shows in the snapshot. */
    @Test
    void theMariaDbSnapshotSeesWhatAnExpandWouldMake() {
        String schema = TestDatabase.MARIADB.newSchema("snap");
        TestDatabase.MARIADB.exec("CREATE TABLE `" + schema + "`.t (id int PRIMARY KEY, a int)");
        var before = MariaDbSnapshot.of(schema);
        TestDatabase.MARIADB.exec("ALTER TABLE `" + schema + "`.t ADD COLUMN b int");
        var column = MariaDbSnapshot.of(schema);
        TestDatabase.MARIADB.exec("CREATE TRIGGER `" + schema + "`.t_sync BEFORE INSERT ON `" + schema + "`.t FOR EACH ROW SET NEW.b = NEW.a");
        var trigger = MariaDbSnapshot.of(schema);
        TestDatabase.MARIADB.exec("CREATE DATABASE `" + schema + "_002`", "CREATE VIEW `" + schema + "_002`.t AS SELECT id FROM `" + schema + "`.t");
        var view = MariaDbSnapshot.of(schema);
        TestDatabase.MARIADB.exec("INSERT INTO `" + schema + "`.t (id, a) VALUES (1, 1)");
        assertThat(List.of(before, column, trigger, view)).doesNotHaveDuplicates();
        assertThat(MariaDbSnapshot.of(schema)).as("rows are compared apart").isEqualTo(view);
    }

    @Test
    void theCorpusListsEveryFileAndHasAtLeastSixtyCases() throws Exception {
        List<String> listed = BadInputCorpus.cases().stream().map(BadInputCorpus.Case::file).sorted().toList();
        try (Stream<Path> files = Files.list(BadInputCorpus.directory())) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> !f.equals(BadInputCorpus.INDEX)).sorted())
                    .containsExactlyElementsOf(listed);
        }
        assertThat(listed).hasSizeGreaterThanOrEqualTo(60);
    }

    private Tandem tandem(TestDatabase db) {
        return db.tandem(schema(db)).migrations(dir).load();
    }

    private static Object databaseState(TestDatabase db) {
        String schema = schema(db);
        return switch (db) {
            case POSTGRES -> List.of(CatalogSnapshot.of(schema),
                    Rows.query(Pg.dataSource(), "SELECT nspname FROM pg_namespace WHERE nspname LIKE ? ORDER BY 1", schema + "%"),
                    Rows.query(Pg.dataSource(), "SELECT name, phase, steps_done FROM tandem.migrations WHERE schema_name = ? ORDER BY 1", schema),
                    Rows.query(Pg.dataSource(), "SELECT * FROM \"" + schema + "\".users ORDER BY id"),
                    // What the injection cases would create with a COMMIT of their own, in whatever schema.
                    Rows.query(Pg.dataSource(), "SELECT relnamespace::regnamespace::text, relname FROM pg_class WHERE relname LIKE 'tandem_corpus%'"));
            case MARIADB -> List.of(MariaDbSnapshot.of(schema),
                    Rows.query(MariaDb.dataSource(), "SELECT name, phase, steps_done FROM tandem.migrations WHERE schema_name = ? ORDER BY 1", schema),
                    Rows.query(MariaDb.dataSource(), "SELECT * FROM `" + schema + "`.users ORDER BY id"),
                    Rows.query(MariaDb.dataSource(), "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'tandem_corpus%'"),
                    Rows.query(MariaDb.dataSource(), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'tandem_corpus%'"));
        };
    }
}
