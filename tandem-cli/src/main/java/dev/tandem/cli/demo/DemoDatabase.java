package dev.tandem.cli.demo;

import dev.tandem.dialect.Dialect;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the demo does differently on one kind of database, in one place: the server it runs on (embedded, or
 * the one {@code --url} names), the migrations and the naive change written in that database's SQL (resources under
 * {@code dev/tandem/cli/demo/<kind>/}), how rows are seeded, and how the demo labels, finds and drops the schemas it
 * owns. The rest of the demo speaks through this and through Tandem's {@link Dialect}.
 */
abstract class DemoDatabase implements AutoCloseable {
    /** The databases the demo runs on, as {@code --db} names them. */
    enum Kind {
        postgres, mariadb
    }

    private final Kind kind;

    DemoDatabase(Kind kind) {
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }

    /** The dialect Tandem speaks to this database with. */
    abstract Dialect dialect();

    /** Connections to the server, in no schema in particular: the demo's set-up creates and drops schemas with them. */
    abstract DataSource server();

    /**
     * Connections for Tandem and the demo's checks, in the demo's schema {@code schema} once it exists (on MariaDB,
     * Tandem's connections need a default database: its type checks make temporary tables there).
     */
    abstract DataSource admin(String schema);

    /** Connections for the application nodes, as an application's pool would open them. */
    abstract DataSource applications();

    /** What this database calls the namespace Tandem calls a schema ("schema", "database"), for messages. */
    abstract String schemaWord();

    /**
     * SQL inserting {@code rows} users {@code user1} .. {@code userN} with ids 1 .. N through the first version's
     * names, on a session whose search path is that version's schema.
     */
    abstract String seed(int rows);

    /** The naive step's heading: how the naive change runs on this database. */
    abstract String naiveStep();

    /** SQL that is true when {@code a} and {@code b} differ, NULL counting as a value. */
    abstract String isDistinct(String a, String b);

    /** Whether schema {@code name} exists and carries {@code label}: null when there is no such schema. */
    abstract Boolean labelled(Connection c, String name, String label) throws SQLException;

    /** Creates schema {@code name} carrying {@code label}. */
    abstract void createLabelled(Connection c, String name, String label) throws SQLException;

    /** Drops schema {@code name} with everything in it. */
    abstract void drop(Connection c, String name) throws SQLException;

    /** The migration file of {@code version} ({@link DemoSchema#V1} or {@link DemoSchema#V2}) for this database. */
    String migration(String version) {
        return resource(version + ".yaml");
    }

    /** The change in a few lines: the table before and after, and what happens to each column. */
    List<String> changeSummary() {
        return resource("change.txt").lines().toList();
    }

    /** The same change the way a plain migration tool runs it, statement by statement. */
    List<String> naiveChange() {
        String sql = resource("naive.sql").lines().filter(l -> !l.startsWith("--")).reduce("", (a, b) -> a + b + "\n");
        return Arrays.stream(sql.split(";\\s*\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    String resource(String name) {
        String path = kind.name() + "/" + name;
        try (InputStream in = DemoDatabase.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("the demo's resource " + path + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the embedded server, if the demo started one; nothing for a server given by {@code --url}. */
    @Override
    public abstract void close();
}
