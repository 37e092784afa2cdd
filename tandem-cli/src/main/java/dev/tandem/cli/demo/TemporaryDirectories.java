package dev.tandem.cli.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removes the temporary directories the demo makes (its migration files, an embedded server's data). */
final class TemporaryDirectories {
    private TemporaryDirectories() {
    }

    /** Deletes {@code dir} and everything in it, as far as it can: what is left behind is not worth failing for. */
    static void delete(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // Left behind in the temporary directory.
        }
    }
}
