package dev.emend.model;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A place in the forward pass, the same for every architecture. Names follow TransformerLens.
 *
 * <table>
 *   <caption>Hook points</caption>
 *   <tr><th>site</th><th>name</th><th>shape</th><th>meaning</th></tr>
 *   <tr><td>EMBED</td><td>hook_embed</td><td>[B,T,D]</td><td>token (+ learned position) embedding</td></tr>
 *   <tr><td>RESID_PRE</td><td>blocks.L.hook_resid_pre</td><td>[B,T,D]</td><td>block input</td></tr>
 *   <tr><td>ATTN_OUT</td><td>blocks.L.hook_attn_out</td><td>[B,T,D]</td><td>attention output before the residual add</td></tr>
 *   <tr><td>MLP_POST</td><td>blocks.L.mlp.hook_post</td><td>[B,T,F]</td><td>input of the MLP out-projection: the key k</td></tr>
 *   <tr><td>MLP_OUT</td><td>blocks.L.hook_mlp_out</td><td>[B,T,D]</td><td>MLP output: the value v</td></tr>
 *   <tr><td>RESID_POST</td><td>blocks.L.hook_resid_post</td><td>[B,T,D]</td><td>block output</td></tr>
 *   <tr><td>FINAL_NORM</td><td>ln_final.hook_normalized</td><td>[B,T,D]</td><td>after the final norm</td></tr>
 * </table>
 *
 * @param site the kind of point
 * @param layer the block index for per-layer sites, -1 otherwise
 */
public record HookPoint(Site site, int layer) implements Comparable<HookPoint> {
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(hook_resid_pre|hook_attn_out|mlp\\.hook_post|hook_mlp_out|hook_resid_post)");

    /** The kinds of points, in forward order within a block. */
    public enum Site {
        EMBED("hook_embed"),
        RESID_PRE("hook_resid_pre"),
        ATTN_OUT("hook_attn_out"),
        MLP_POST("mlp.hook_post"),
        MLP_OUT("hook_mlp_out"),
        RESID_POST("hook_resid_post"),
        FINAL_NORM("ln_final.hook_normalized");

        private final String suffix;

        Site(String suffix) {
            this.suffix = suffix;
        }

        /** @return true if the site exists once per block */
        public boolean perLayer() {
            return this != EMBED && this != FINAL_NORM;
        }
    }

    /** Validates that per-layer sites have a layer and the others do not. */
    public HookPoint {
        Objects.requireNonNull(site, "site");
        if (site.perLayer() != (layer >= 0)) {
            throw new IllegalArgumentException("layer %d is invalid for %s".formatted(layer, site));
        }
    }

    /** @return {@code hook_embed} */
    public static HookPoint embed() {
        return new HookPoint(Site.EMBED, -1);
    }

    /** @return {@code ln_final.hook_normalized} */
    public static HookPoint finalNorm() {
        return new HookPoint(Site.FINAL_NORM, -1);
    }

    /** @param layer block index @return {@code blocks.L.hook_resid_pre} */
    public static HookPoint residPre(int layer) {
        return new HookPoint(Site.RESID_PRE, layer);
    }

    /** @param layer block index @return {@code blocks.L.hook_attn_out} */
    public static HookPoint attnOut(int layer) {
        return new HookPoint(Site.ATTN_OUT, layer);
    }

    /** @param layer block index @return {@code blocks.L.mlp.hook_post} (the MLP key) */
    public static HookPoint mlpPost(int layer) {
        return new HookPoint(Site.MLP_POST, layer);
    }

    /** @param layer block index @return {@code blocks.L.hook_mlp_out} (the MLP value) */
    public static HookPoint mlpOut(int layer) {
        return new HookPoint(Site.MLP_OUT, layer);
    }

    /** @param layer block index @return {@code blocks.L.hook_resid_post} */
    public static HookPoint residPost(int layer) {
        return new HookPoint(Site.RESID_POST, layer);
    }

    /** @return the TransformerLens name, e.g. {@code blocks.17.mlp.hook_post} */
    public String name() {
        return site.perLayer() ? "blocks." + layer + "." + site.suffix : site.suffix;
    }

    /**
     * Parses a name strictly.
     *
     * @param name e.g. {@code blocks.3.hook_resid_post}
     * @return the point
     * @throws IllegalArgumentException for unknown names
     */
    public static HookPoint parse(String name) {
        if (name.equals(Site.EMBED.suffix)) {
            return embed();
        }
        if (name.equals(Site.FINAL_NORM.suffix)) {
            return finalNorm();
        }
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            int layer = Integer.parseInt(m.group(1));
            for (Site s : Site.values()) {
                if (s.perLayer() && s.suffix.equals(m.group(2))) {
                    return new HookPoint(s, layer);
                }
            }
        }
        throw new IllegalArgumentException("unknown hook point '%s'; expected hook_embed, ln_final.hook_normalized or "
                .formatted(name) + "blocks.L.{hook_resid_pre,hook_attn_out,mlp.hook_post,hook_mlp_out,hook_resid_post}");
    }

    /** Orders points as the forward pass reaches them. */
    @Override
    public int compareTo(HookPoint o) {
        return Long.compare(order(), o.order());
    }

    private long order() {
        return switch (site) {
            case EMBED -> -1;
            case FINAL_NORM -> Long.MAX_VALUE;
            default -> (long) layer * 16 + site.ordinal();
        };
    }

    @Override
    public String toString() {
        return name();
    }
}
