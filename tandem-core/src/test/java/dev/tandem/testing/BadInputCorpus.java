package dev.tandem.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad-input corpus: migration files in the test resources' {@code bad-input} directory, each listed in
 * {@code cases.tsv} with where it is wrong (line:column) and a fragment of the message that must say so.
 */
public final class BadInputCorpus {
    public static final String INDEX = "cases.tsv";

    /**
     * One case; its file is tried as a migration named {@code <number>_<file>}. A case whose message is the database's
     * own wording has a fourth column: {@code mariadb: <fragment>} (MariaDB says it so), {@code mariadb at <line:column>:
     * <fragment>} (MariaDB refuses it at another place, for its own reason), or {@code postgres only: <why>} when it is
     * not bad input on MariaDB.
     */
    public record Case(String file, String where, String message, String dialectNote) {
        public Case(String file, String where, String message) {
            this(file, where, message, "");
        }

        /** Whether the case is tried on {@code db}. */
        public boolean appliesTo(TestDatabase db) {
            return db == TestDatabase.POSTGRES || !dialectNote.startsWith("postgres only");
        }

        /** The fragment the message on {@code db} must contain. */
        public String message(TestDatabase db) {
            if (db != TestDatabase.MARIADB || !dialectNote.startsWith("mariadb")) return message;
            return dialectNote.substring(dialectNote.indexOf(": ") + 2);
        }

        /** Where {@code db} refuses it, line:column. */
        public String where(TestDatabase db) {
            if (db != TestDatabase.MARIADB || !dialectNote.startsWith("mariadb at ")) return where;
            return dialectNote.substring("mariadb at ".length(), dialectNote.indexOf(": "));
        }

        /** Copies the case's bytes, unchanged, into {@code dir} as a migration file; returns its path. */
        public Path writeAsMigration(Path dir, String number) {
            Path target = dir.resolve(number + "_" + file);
            try (InputStream in = resource(file)) {
                Files.copy(in, target);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return target;
        }

        @Override
        public String toString() {
            return file;
        }
    }

    private BadInputCorpus() {
    }

    /** A file of the corpus; read as a stream, as the corpus may be inside the core module's test jar. */
    static InputStream resource(String file) {
        InputStream in = BadInputCorpus.class.getResourceAsStream("/bad-input/" + file);
        if (in == null) throw new IllegalStateException("bad-input/" + file + " is not on the test class path");
        return in;
    }

    /** The corpus directory, where the test resources are a directory (in tandem-core's own tests). */
    public static Path directory() {
        URL url = BadInputCorpus.class.getResource("/bad-input/" + INDEX);
        if (url == null) throw new IllegalStateException("bad-input/" + INDEX + " is not on the test class path");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = resource(INDEX)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t", -1);
                if (f.length != 3 && f.length != 4) {
                    throw new IllegalStateException(INDEX + ": expected 3 or 4 tab-separated columns: " + line);
                }
                cases.add(new Case(f[0], f[1], f[2], f.length == 4 ? f[3] : ""));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }
}
