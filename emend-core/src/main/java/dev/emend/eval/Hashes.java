package dev.emend.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 content hashes for benchmark cache keys. File hashes are remembered in {@code file-hashes.json} of a cache
 * folder, keyed by absolute path, size and modification time, so a large checkpoint is read once, not on every run.
 */
final class Hashes {
    private static final Logger LOG = LoggerFactory.getLogger(Hashes.class);
    private final Path memoFile;
    private final ObjectNode memo;

    /** @param cacheDir where to remember file hashes, or null to remember nothing */
    Hashes(Path cacheDir) {
        this.memoFile = cacheDir == null ? null : cacheDir.resolve("file-hashes.json");
        ObjectNode m = EvalJson.MAPPER.createObjectNode();
        if (memoFile != null && Files.isRegularFile(memoFile)) {
            try {
                JsonNode n = EvalJson.MAPPER.readTree(memoFile.toFile());
                if (n instanceof ObjectNode o) {
                    m = o;
                }
            } catch (IOException e) {
                LOG.warn("ignoring unreadable {}: {}", memoFile, e.getMessage());
            }
        }
        this.memo = m;
    }

    /** @param text a string @return its hex SHA-256 (UTF-8) */
    static String of(String text) {
        MessageDigest md = sha256();
        md.update(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * @param file a file
     * @return its hex SHA-256, from memory if its path, size and modification time are unchanged
     */
    String file(Path file) {
        try {
            Path abs = file.toAbsolutePath().normalize();
            String stamp = Files.size(abs) + ":" + Files.getLastModifiedTime(abs).toMillis();
            JsonNode known = memo.get(abs.toString());
            if (known != null && stamp.equals(known.path("stamp").asText())) {
                return known.path("sha256").asText();
            }
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(abs)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            String hex = HexFormat.of().formatHex(md.digest());
            memo.putObject(abs.toString()).put("stamp", stamp).put("sha256", hex);
            save();
            return hex;
        } catch (IOException e) {
            throw new EmendException("cannot read %s to hash it: %s".formatted(file, e.getMessage()), e);
        }
    }

    /**
     * A model's hash: its file (GGUF) or every top-level file of its folder except {@code *.md}, names included.
     *
     * @param model a model folder or file
     * @return hex SHA-256
     */
    String model(Path model) {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(model)) {
            try (Stream<Path> s = Files.list(model)) {
                s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".md")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new EmendException("cannot list %s: %s".formatted(model, e.getMessage()), e);
            }
        } else {
            files.add(model);
        }
        StringBuilder b = new StringBuilder();
        for (Path f : files) {
            b.append(f.getFileName()).append('=').append(file(f)).append('\n');
        }
        return of(b.toString());
    }

    private void save() {
        if (memoFile == null) {
            return;
        }
        try {
            Files.createDirectories(memoFile.getParent());
            Path tmp = memoFile.resolveSibling(memoFile.getFileName() + ".tmp");
            EvalJson.MAPPER.writeValue(tmp.toFile(), memo);
            Files.move(tmp, memoFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("cannot remember file hashes in {}: {}", memoFile, e.getMessage());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
