package dev.tandem.cli.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The identity service's schema, as Keystone had it, and the change its rolling upgrade makes: {@code name}
 * becomes {@code username}, a NOT NULL {@code email} is computed for every user, the integer {@code enabled} flag
 * becomes a boolean, and {@code extra} goes.
 */
final class DemoSchema {
    static final String V1 = "001_identity";
    static final String V2 = "002_user_email";

    private DemoSchema() {
    }

    /** The change in a few lines: the table's shape before and after, and what happens to each column. */
    static final List<String> CHANGE_SUMMARY = List.of(
            "before: users(id bigint, name text, password_hash text, enabled integer, extra text)",
            "after:  users(id bigint, username text, password_hash text, enabled boolean, email text NOT NULL)",
            "name is renamed to username; email is new, lower(name) || '@example.org' for existing users;",
            "enabled changes from integer to boolean (enabled <> 0); extra is dropped.");

    static final String INIT = """
            operations:
              - create_table:
                  table: users
                  columns:
                    - {name: id, type: bigint, primary_key: true, generated: identity}
                    - {name: name, type: text, nullable: false, unique: true}
                    - {name: password_hash, type: text, nullable: false}
                    - {name: enabled, type: integer, nullable: false, default: "1"}
                    - {name: extra, type: text, nullable: false}
            """;

    static final String CHANGE = """
            operations:
              - rename_column: {table: users, from: name, to: username}
              - add_column:
                  table: users
                  column: {name: email, type: text, nullable: false}
                  up: "lower(name) || '@example.org'"
              - alter_column:
                  table: users
                  column: enabled
                  type: boolean
                  default: "true"
                  up: "enabled <> 0"
                  down: "CASE WHEN enabled THEN 1 ELSE 0 END"
              - drop_column: {table: users, column: extra, down: "'{}'"}
            """;

    /** The same change the way a plain migration tool runs it: one transaction of ALTERs that rewrite the table. */
    static final String NAIVE_CHANGE = """
            ALTER TABLE users RENAME COLUMN name TO username;
            ALTER TABLE users ADD COLUMN email text;
            UPDATE users SET email = lower(username) || '@example.org';
            ALTER TABLE users ALTER COLUMN email SET NOT NULL;
            ALTER TABLE users ALTER COLUMN enabled DROP DEFAULT;
            ALTER TABLE users ALTER COLUMN enabled TYPE boolean USING enabled <> 0;
            ALTER TABLE users ALTER COLUMN enabled SET DEFAULT true;
            ALTER TABLE users DROP COLUMN extra""";

    static Path write(Path dir, boolean withChange) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(V1 + ".yaml"), INIT);
            if (withChange) Files.writeString(dir.resolve(V2 + ".yaml"), CHANGE);
            else Files.deleteIfExists(dir.resolve(V2 + ".yaml"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String load(int rows) {
        return "INSERT INTO users (name, password_hash, enabled, extra) SELECT 'user' || g, md5(g::text), g % 2, '{}'"
                + " FROM generate_series(1, " + rows + ") g";
    }
}
