package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.BadInputCorpus;
import dev.tandem.testing.CatalogSnapshot;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every migration of the bad-input corpus ({@code src/test/resources/bad-input}, listed with its expected place and
 * message in {@code cases.tsv}) is refused by expand as invalid input (exit code 2), at its file:line:column, with a
 * message that says what is wrong, and leaves the database exactly as it was: catalog, version schemas, Tandem's
 * state, the rows, and no table anywhere that an injected statement would have created.
 */
class BadInputCorpusTest {
    static String schema;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp(@TempDir Path base) {
        schema = Pg.newSchema("corpus");
        new Migrations(base).write("001_init.yaml", UserTableLifecycleTest.V1);
        Tandem.configure().dataSource(Pg.dataSource()).migrations(base).schema(schema).load().migrate();
        Rows.update(Pg.dataSource(schema + "_001_init"), "INSERT INTO users (name, enabled, extra) VALUES ('Ann', 1, 'x'), ('Bo', 0, 'y')");
    }

    static Stream<BadInputCorpus.Case> cases() {
        return BadInputCorpus.cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedWhereItIsWrongAndChangesNothing(BadInputCorpus.Case c) throws Exception {
        Object before = databaseState();
        Path file = c.writeAsMigration(dir, "002");
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        TandemException e = catchThrowableOfType(() -> tandem().expand(), TandemException.class);
        assertThat(e).as("refused").isNotNull();
        assertThat(e.kind()).as(e.getMessage()).isEqualTo(TandemException.Kind.INVALID_INPUT);
        assertThat(e.kind().exitCode).isEqualTo(2);
        assertThat(e.getMessage()).contains(file + ":" + c.where() + ": ").contains(c.message());
        assertThat(databaseState()).isEqualTo(before);
    }

    @Test
    void aHugeFileIsRefusedBeforeItIsParsed() throws Exception {
        Object before = databaseState();
        new Migrations(dir).write("001_init.yaml", UserTableLifecycleTest.V1);
        Path huge = dir.resolve("002_huge.yaml");
        Files.writeString(huge, "operations:\n" + "  # padding that makes the file larger than any migration\n".repeat(100_000));
        assertThat(Files.size(huge)).isGreaterThan(5_000_000);
        TandemException e = catchThrowableOfType(() -> tandem().expand(), TandemException.class);
        assertThat(e.kind()).isEqualTo(TandemException.Kind.INVALID_INPUT);
        assertThat(e.getMessage()).contains(huge + ":1:1: ").contains("a migration file may have at most 4 MB");
        assertThat(databaseState()).isEqualTo(before);
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

    private Tandem tandem() {
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    private static Object databaseState() {
        return List.of(CatalogSnapshot.of(schema),
                Rows.query(Pg.dataSource(), "SELECT nspname FROM pg_namespace WHERE nspname LIKE ? ORDER BY 1", schema + "%"),
                Rows.query(Pg.dataSource(), "SELECT name, phase, steps_done FROM tandem.migrations WHERE schema_name = ? ORDER BY 1", schema),
                Rows.query(Pg.dataSource(), "SELECT * FROM \"" + schema + "\".users ORDER BY id"),
                // What the injection cases would create with a COMMIT of their own, in whatever schema.
                Rows.query(Pg.dataSource(), "SELECT relnamespace::regnamespace::text, relname FROM pg_class WHERE relname LIKE 'tandem_corpus%'"));
    }
}
