package dev.tandem.migration;

import java.util.List;

/**
 * One migration file. Its {@code name} (the file name without extension) is also the name of the application
 * version that expects the schema it describes.
 *
 * @param checksum SHA-256 of the file's bytes, to refuse a file edited after it was expanded
 */
public record Migration(String name, String file, List<Operation> operations, String checksum) {
    public Migration {
        operations = List.copyOf(operations);
    }
}
