package dev.tandem.dialect.mariadb;

import dev.tandem.migration.SqlExpressionText;

/**
 * Checks, by MariaDB's lexical rules, that the text of an expression field ({@code up}, {@code down}, {@code default},
 * {@code check}) stays one expression inside the parentheses Tandem writes it into: {@code SET NEW.`col` = (<up>);}
 * in a sync trigger's body, {@code UPDATE ... SET `col` = (<up>)} in the backfill, the plan-time probe.
 *
 * <p>The migration reader checks the same fields by PostgreSQL's rules ({@code migration/SqlExpressionText}), which
 * MariaDB does not share: {@code #} starts a comment, {@code -- } does only before a space, a backslash escapes inside
 * strings (unless the session's sql_mode has {@code NO_BACKSLASH_ESCAPES}), {@code "} quotes a string (a name under
 * {@code ANSI_QUOTES}), {@code `} a name, and {@code /*! ... *}{@code /} is an executable comment whose text the server
 * runs. So {@code '\'' ; DELETE FROM t ; SET @a = '\''} is one string and nothing else to PostgreSQL, and a string, a
 * statement and another string to MariaDB; {@code 1 # (} on one line and {@code ), NEW.other = (2} on the next is
 * balanced to PostgreSQL and, to MariaDB, assigns a second column in the trigger. A trigger body is a compound statement
 * the server parses with its own {@code ;}, whatever the driver does, and Tandem's connections allow several
 * statements per call ({@code allowMultiQueries}), so the text must be refused before anything runs it.
 *
 * <p>The text is scanned twice, with and without backslash escapes, and must pass both: whichever the session's
 * sql_mode is when the server reads it, it stays inside its parentheses. A scan, not a parse: the meaning is the
 * server's to judge (see {@code MariaDbExpressionCheck}).
 */
final class MariaDbExpressionText {
    private MariaDbExpressionText() {
    }

    /** Why {@code text} cannot be written into Tandem's statements as one expression, or null when it can. */
    static String problem(String text) {
        String problem = problem(text, true);
        return problem != null ? problem : problem(text, false);
    }

    private static String problem(String text, boolean backslashEscapes) {
        int depth = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char ch = text.charAt(i);
            if (ch == '\'' || ch == '"') {
                int end = SqlExpressionText.endOfString(text, i, backslashEscapes);
                if (end < 0) {
                    return "has a string (or a \"name\") that is never closed by MariaDB's rules, "
                            + (backslashEscapes ? "where a backslash escapes the character after it"
                            : "read as a session with NO_BACKSLASH_ESCAPES reads it (a backslash escapes nothing);"
                            + " write a quote inside a string as '' rather than \\'");
                }
                i = end;
            } else if (ch == '`') {
                int end = endOfQuotedName(text, i);
                if (end < 0) return "has a `name` that is never closed (a ` without its closing `)";
                i = end;
            } else if (startsLineComment(text, i)) {
                int nl = text.indexOf('\n', i);
                if (nl < 0) {
                    return "ends in a " + (ch == '#' ? "#" : "-- ") + " comment, which on MariaDB would hide what Tandem"
                            + " writes after the expression; remove it or write it as /* ... */";
                }
                i = nl + 1;
            } else if (ch == '/' && text.startsWith("/*", i)) {
                if (text.startsWith("/*!", i) || text.startsWith("/*M!", i) || text.startsWith("/*m!", i)) {
                    return "has an executable comment (/*! or /*M!), whose text MariaDB runs as SQL; write it as SQL";
                }
                int end = text.indexOf("*/", i + 2);
                if (end < 0) return "has a /* comment that is never closed";
                i = end + 2;
            } else {
                if (ch == '(') {
                    depth++;
                } else if (ch == ')') {
                    if (--depth < 0) {
                        return "closes a parenthesis it did not open (the ')' at position " + (i + 1) + ", by MariaDB's"
                                + " rules); Tandem writes it inside parentheses of its own, so its own must balance";
                    }
                } else if (ch == ';') {
                    return "has a ';' (at position " + (i + 1) + ", by MariaDB's rules), which would end the statement"
                            + " Tandem writes it into; an expression cannot hold one: remove it (statements belong in a"
                            + " `sql` operation)";
                }
                i++;
            }
        }
        if (depth > 0) {
            return "opens " + depth + " parenthes" + (depth == 1 ? "is" : "es") + " it does not close (by MariaDB's"
                    + " rules); close " + (depth == 1 ? "it" : "them");
        }
        return null;
    }

    /** Index just past the {@code `name`} at {@code start} (a backtick doubled inside), or -1 when it is not closed. */
    static int endOfQuotedName(String text, int start) {
        int i = start + 1;
        while (i < text.length()) {
            if (text.charAt(i) == '`') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '`') i += 2;
                else return i + 1;
            } else {
                i++;
            }
        }
        return -1;
    }

    /** {@code #}, or {@code --} followed by a space, a control character or the end ("Comment Syntax" in the manual). */
    static boolean startsLineComment(String text, int i) {
        if (text.charAt(i) == '#') return true;
        return text.startsWith("--", i) && (i + 2 == text.length() || text.charAt(i + 2) <= ' ');
    }
}
