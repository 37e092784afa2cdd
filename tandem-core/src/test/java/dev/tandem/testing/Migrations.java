package dev.tandem.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes migration files into a directory, as a user would. */
public final class Migrations {
    /** A first migration many tests start from: table {@code items} of an integer key {@code id} and an integer {@code qty}. */
    public static final String ITEMS_ID_QTY = """
            operations:
              - create_table:
                  table: items
                  columns:
                    - {name: id, type: integer, primary_key: true}
                    - {name: qty, type: integer}
            """;

    private final Path dir;

    public Migrations(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Migrations write(String fileName, String content) {
        try {
            Files.writeString(dir.resolve(fileName), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
