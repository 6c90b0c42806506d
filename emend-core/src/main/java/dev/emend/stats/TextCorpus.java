package dev.emend.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A local text corpus for layer statistics: an ordered list of documents (ROME counts {@code mom2_n_samples} in
 * documents). Read from local files only; nothing is downloaded.
 */
public final class TextCorpus {
    private final String name;
    private final List<String> documents;

    private TextCorpus(String name, List<String> documents) {
        this.name = Objects.requireNonNull(name, "name");
        this.documents = List.copyOf(documents);
        if (this.documents.isEmpty()) {
            throw new IllegalArgumentException("corpus '%s' has no documents".formatted(name));
        }
    }

    /**
     * Wraps documents held in memory.
     *
     * @param name a display name (e.g. the params' {@code mom2_dataset})
     * @param documents the documents, non-empty
     * @return the corpus
     */
    public static TextCorpus of(String name, List<String> documents) {
        return new TextCorpus(name, documents);
    }

    /**
     * Reads a corpus file: {@code .jsonl} (one JSON object per line with a {@code "text"} field), {@code .json} (an
     * array of strings or of objects with {@code "text"}), anything else as plain text with one document per
     * non-blank line.
     *
     * @param file the file
     * @return the corpus, named after the file
     * @throws ConfigException if the file cannot be read or has no documents
     */
    public static TextCorpus read(Path file) {
        String fileName = file.getFileName().toString();
        List<String> docs = new ArrayList<>();
        try {
            if (fileName.endsWith(".jsonl")) {
                ObjectMapper json = new ObjectMapper();
                int line = 0;
                for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    line++;
                    if (!l.isBlank()) {
                        JsonNode t = json.readTree(l).get("text");
                        if (t == null || !t.isTextual()) {
                            throw new ConfigException("%s line %d has no \"text\" string".formatted(file, line));
                        }
                        docs.add(t.asText());
                    }
                }
            } else if (fileName.endsWith(".json")) {
                for (JsonNode n : new ObjectMapper().readTree(file.toFile())) {
                    docs.add(n.isTextual() ? n.asText() : n.path("text").asText());
                }
            } else {
                for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!l.isBlank()) {
                        docs.add(l);
                    }
                }
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read corpus %s: %s".formatted(file, e.getMessage()), e);
        }
        docs.removeIf(String::isBlank);
        if (docs.isEmpty()) {
            throw new ConfigException("corpus %s has no documents".formatted(file));
        }
        String base = fileName.contains(".") ? fileName.substring(0, fileName.lastIndexOf('.')) : fileName;
        return new TextCorpus(base, docs);
    }

    /** @return the display name */
    public String name() {
        return name;
    }

    /** @return the documents in order */
    public List<String> documents() {
        return documents;
    }

    /** @return the number of documents */
    public int size() {
        return documents.size();
    }

    /**
     * A content hash of the first {@code n} documents, part of the statistics cache key.
     *
     * @param n documents to hash (capped at the size)
     * @return hex SHA-256
     */
    public String fingerprint(int n) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String d : documents.subList(0, Math.min(n, documents.size()))) {
                byte[] b = d.getBytes(StandardCharsets.UTF_8);
                md.update(new byte[] {(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
