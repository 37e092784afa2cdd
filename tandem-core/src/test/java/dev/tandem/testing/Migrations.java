package dev.tandem.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes migration files into a directory, as a user would. */
public final class Migrations {
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
