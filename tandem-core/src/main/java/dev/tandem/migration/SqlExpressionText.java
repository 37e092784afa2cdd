package dev.tandem.migration;

/**
 * Checks that the text of an expression field ({@code up}, {@code down}, {@code check}, {@code default}, a column
 * {@code type}) can be written into a statement of Tandem's without ending or escaping it.
 *
 * <p>Tandem writes such a field inside parentheses of its own ({@code SET col = (<up>)}, {@code CHECK (<check>)},
 * the plan-time check {@code SELECT (<up>) FROM ...}). A field that closes more parentheses than it opens, leaves a
 * string, quoted name or comment open, ends in a {@code --} comment (which hides what follows it on the line) or
 * holds a {@code ;} outside quotes escapes them: the JDBC driver splits statements at such a {@code ;} even in a
 * prepared statement, so the rest would run as statements of their own, a {@code COMMIT} included. This is a scan of
 * the text, not a parse: it follows PostgreSQL's lexical rules for quotes and comments only, and leaves the meaning
 * of the expression to the server.
 */
public final class SqlExpressionText {
    private SqlExpressionText() {
    }

    /** Why {@code text} cannot be used as a single expression, or null if it can. */
    public static String problem(String text) {
        int depth = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char ch = text.charAt(i);
            if (ch == '\'') {
                int end = endOfString(text, i, escapesAllowed(text, i));
                if (end < 0) return "has a string literal that is never closed (a ' without its closing ')";
                i = end;
            } else if (ch == '"') {
                int end = text.indexOf('"', i + 1);
                while (end >= 0 && end + 1 < n && text.charAt(end + 1) == '"') end = text.indexOf('"', end + 2);
                if (end < 0) return "has a quoted name that is never closed (a \" without its closing \")";
                i = end + 1;
            } else if (ch == '$' && (i == 0 || !isIdentifierPart(text.charAt(i - 1))) && dollarTag(text, i) != null) {
                String tag = dollarTag(text, i);
                int end = text.indexOf(tag, i + tag.length());
                if (end < 0) return "has a dollar-quoted string (" + tag + ") that is never closed";
                i = end + tag.length();
            } else if (ch == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int nl = text.indexOf('\n', i);
                if (nl < 0) {
                    return "ends in a -- comment, which would hide what Tandem writes after the expression;"
                            + " remove it or write it as /* ... */";
                }
                i = nl + 1;
            } else if (ch == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = endOfBlockComment(text, i);
                if (end < 0) return "has a /* comment that is never closed";
                i = end;
            } else {
                if (ch == '(') {
                    depth++;
                } else if (ch == ')') {
                    if (--depth < 0) {
                        return "closes a parenthesis it did not open (the ')' at position " + (i + 1) + "); Tandem"
                                + " writes it inside parentheses of its own, so its own must balance";
                    }
                } else if (ch == ';') {
                    return "has a ';' (at position " + (i + 1) + "), which would end the statement Tandem writes it"
                            + " into; an expression or a type cannot hold one: remove it (statements belong in a `sql`"
                            + " operation)";
                }
                i++;
            }
        }
        if (depth > 0) {
            return "opens " + depth + " parenthes" + (depth == 1 ? "is" : "es") + " it does not close; close "
                    + (depth == 1 ? "it" : "them");
        }
        return null;
    }

    /**
     * Index just past the string literal starting at {@code start}, or -1 if it is not closed: it ends at the quote it
     * starts with ({@code '}, or MariaDB's {@code "}), doubled inside, and a backslash escapes the character after it
     * when {@code backslashEscapes}.
     */
    public static int endOfString(String text, int start, boolean backslashEscapes) {
        char quote = text.charAt(start);
        int i = start + 1;
        while (i < text.length()) {
            char ch = text.charAt(i);
            if (backslashEscapes && ch == '\\') {
                i += 2;
            } else if (ch == quote) {
                if (i + 1 < text.length() && text.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    /** E'...' strings (escape string constants) take backslash escapes; E must not end a longer name. */
    static boolean escapesAllowed(String text, int quote) {
        if (quote == 0) return false;
        char e = text.charAt(quote - 1);
        return (e == 'e' || e == 'E') && (quote == 1 || !isIdentifierPart(text.charAt(quote - 2)));
    }

    /** {@code $tag$} or {@code $$} starting at {@code i}, or null ({@code $1} is a parameter, not a quote). */
    static String dollarTag(String text, int i) {
        int j = i + 1;
        if (j < text.length() && Character.isDigit(text.charAt(j))) return null;
        while (j < text.length() && isIdentifierPart(text.charAt(j)) && text.charAt(j) != '$') j++;
        return j < text.length() && text.charAt(j) == '$' ? text.substring(i, j + 1) : null;
    }

    /** Index just past the block comment starting at {@code start} (they nest in PostgreSQL), or -1. */
    static int endOfBlockComment(String text, int start) {
        int depth = 0;
        int i = start;
        while (i + 1 < text.length()) {
            if (text.charAt(i) == '/' && text.charAt(i + 1) == '*') {
                depth++;
                i += 2;
            } else if (text.charAt(i) == '*' && text.charAt(i + 1) == '/') {
                depth--;
                i += 2;
                if (depth == 0) return i;
            } else {
                i++;
            }
        }
        return -1;
    }

    static boolean isIdentifierPart(char ch) {
        return Character.isLetterOrDigit(ch) || ch == '_' || ch == '$' || ch > 127;
    }
}
