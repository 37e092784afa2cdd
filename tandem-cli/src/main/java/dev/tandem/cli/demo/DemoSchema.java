package dev.tandem.cli.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The identity service's two versions, as Keystone had its users table, and the change its rolling upgrade makes:
 * {@code name} becomes {@code username}, a NOT NULL {@code email} is computed for every user, the integer
 * {@code enabled} flag becomes a boolean, and {@code extra} goes. Each database writes the migrations in its own SQL
 * ({@link DemoDatabase#migration}).
 */
final class DemoSchema {
    static final String V1 = "001_identity";
    static final String V2 = "002_user_email";

    private DemoSchema() {
    }

    /** Writes the first version's migration and, when {@code withChange}, the second's, into {@code dir}. */
    static Path write(Path dir, DemoDatabase database, boolean withChange) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(V1 + ".yaml"), database.migration(V1));
            if (withChange) Files.writeString(dir.resolve(V2 + ".yaml"), database.migration(V2));
            else Files.deleteIfExists(dir.resolve(V2 + ".yaml"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
