package dev.tandem.dialect.mariadb;

import java.util.List;

/**
 * Identifiers and string literals written for MariaDB (and MySQL), so that any name or text is taken literally.
 * Everything of Tandem's that writes MariaDB SQL quotes through this class, never by gluing names.
 */
public final class MariaDbNames {
    /** MariaDB keeps identifiers of up to 64 characters ("Identifier Names" in the MariaDB manual). */
    public static final int MAX_IDENTIFIER_CHARS = 64;

    private MariaDbNames() {
    }

    /**
     * An identifier quoted with backticks, a backtick inside doubled ("Identifier Names" in the MariaDB manual).
     *
     * @throws IllegalArgumentException for a name MariaDB cannot hold: empty, with a NUL character, ending in a space
     *                                  (MariaDB strips trailing spaces of names), or longer than 64 characters
     */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) throw new IllegalArgumentException("an identifier cannot be empty");
        if (identifier.indexOf('\0') >= 0) throw new IllegalArgumentException("identifier contains a NUL character: " + identifier);
        if (identifier.endsWith(" ")) {
            throw new IllegalArgumentException("MariaDB does not keep names that end in a space: \"" + identifier + "\"");
        }
        if (identifier.codePointCount(0, identifier.length()) > MAX_IDENTIFIER_CHARS) {
            throw new IllegalArgumentException("longer than MariaDB's " + MAX_IDENTIFIER_CHARS + " characters: " + identifier);
        }
        return '`' + identifier.replace("`", "``") + '`';
    }

    /** {@code `database`.`name`}. */
    public static String qualify(String database, String name) {
        return quote(database) + "." + quote(name);
    }

    public static String quoteAll(List<String> identifiers) {
        return String.join(", ", identifiers.stream().map(MariaDbNames::quote).toList());
    }

    /**
     * A string literal: the quote doubled and the backslash escaped ("String Literals" in the MariaDB manual). Written
     * for sessions whose sql_mode lacks NO_BACKSLASH_ESCAPES, MariaDB's default, which Tandem's own sessions keep.
     *
     * @throws IllegalArgumentException for text with a NUL character
     */
    public static String literal(String value) {
        if (value.indexOf('\0') >= 0) throw new IllegalArgumentException("literal contains a NUL character");
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
}
