package dev.emend.model;

import dev.emend.tensor.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding: inverse frequencies (with HF's scaling variants, computed in float32 as HF does) and
 * the rotation of queries and keys. Rotate-half pairs dimension i with i + dim/2 (Llama, NeoX); interleaved pairs 2i
 * with 2i+1 (GPT-J). Only the first {@code dim} dimensions of each head rotate.
 */
final class RotaryEmbedding {
    private final Rotary spec;
    private final int maxPositions;
    private final float[] invFreq;        // [dim/2]
    private final float attentionScaling; // yarn's cos/sin multiplier, 1 otherwise

    RotaryEmbedding(Rotary spec, int maxPositions) {
        this.spec = spec;
        this.maxPositions = maxPositions;
        Rotary.Scaling s = spec.scaling();
        this.invFreq = switch (s.type()) {
            case "linear" -> divide(baseFrequencies(spec.theta()), (float) s.factor());
            case "llama3" -> llama3(baseFrequencies(spec.theta()), s);
            case "yarn" -> yarn(s);
            default -> baseFrequencies(spec.theta()); // default; dynamic starts from the base
        };
        this.attentionScaling = s.type().equals("yarn") ? yarnAttentionFactor(s) : 1f;
    }

    /** HF: {@code 1 / base^(arange(0, dim, 2) / dim)} in float32. */
    private float[] baseFrequencies(double base) {
        int half = spec.dim() / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) spec.dim();
            f[i] = 1f / (float) Math.pow((float) base, exponent);
        }
        return f;
    }

    private static float[] divide(float[] f, float factor) {
        float[] out = new float[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i] / factor;
        }
        return out;
    }

    /** HF _compute_llama3_parameters: keep high frequencies, divide low ones by factor, blend in between. */
    private static float[] llama3(float[] invFreq, Rotary.Scaling s) {
        float factor = (float) s.factor();
        float lowWavelen = (float) (s.originalMaxPositions() / s.lowFreqFactor());
        float highWavelen = (float) (s.originalMaxPositions() / s.highFreqFactor());
        float[] out = new float[invFreq.length];
        for (int i = 0; i < invFreq.length; i++) {
            float wavelen = (1f / invFreq[i]) * (float) (2 * Math.PI);
            float llama = wavelen > lowWavelen ? invFreq[i] / factor : invFreq[i];
            float smooth = ((1f / wavelen) * s.originalMaxPositions() - (float) s.lowFreqFactor())
                    / (float) (s.highFreqFactor() - s.lowFreqFactor());
            float smoothed = (1f - smooth) * llama / factor + smooth * llama;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            out[i] = medium ? smoothed : llama;
        }
        return out;
    }

    /** HF _compute_yarn_parameters. */
    private float[] yarn(Rotary.Scaling s) {
        int dim = spec.dim();
        double base = spec.theta();
        double factor = s.factor();
        int original = s.originalMaxPositions() > 0 ? s.originalMaxPositions() : maxPositions;
        double low = correctionDim(s.betaFast(), dim, base, original);
        double high = correctionDim(s.betaSlow(), dim, base, original);
        if (s.truncate()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001;
        }
        float[] out = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float posFreq = (float) Math.pow((float) base, (float) (2 * i) / (float) dim);
            float extrapolation = 1f / posFreq;
            float interpolation = 1f / ((float) factor * posFreq);
            float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
            float extrapolationFactor = 1f - ramp;
            out[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
        return out;
    }

    private static double correctionDim(double rotations, int dim, double base, int maxPos) {
        return (dim * Math.log(maxPos / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
    }

    private static float yarnAttentionFactor(Rotary.Scaling s) {
        if (!Double.isNaN(s.attentionFactor())) {
            return (float) s.attentionFactor();
        }
        if (!Double.isNaN(s.mscale()) && !Double.isNaN(s.mscaleAllDim()) && s.mscale() != 0 && s.mscaleAllDim() != 0) {
            return (float) (mscale(s.factor(), s.mscale()) / mscale(s.factor(), s.mscaleAllDim()));
        }
        return (float) mscale(s.factor(), 1);
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    /** Dynamic NTK: frequencies for a sequence longer than the checkpoint's context. */
    private float[] frequenciesFor(int seqLen) {
        if (!spec.scaling().type().equals("dynamic") || seqLen <= maxPositions) {
            return invFreq;
        }
        double factor = spec.scaling().factor();
        int dim = spec.dim();
        double base = spec.theta() * Math.pow((factor * seqLen / maxPositions) - (factor - 1), (double) dim / (dim - 2));
        return baseFrequencies(base);
    }

    /**
     * Cosines and sines for the given positions.
     *
     * @param manager where to create them
     * @param positions [B,T] position ids
     * @param maxPosition largest position + 1 (dynamic scaling)
     * @return {cos, sin}, each [B,1,T,dim] (broadcast over heads)
     */
    NDArray[] cosSin(NDManager manager, NDArray positions, int maxPosition) {
        float[] f = frequenciesFor(maxPosition);
        NDArray inv = Tensors.create(manager, f, new Shape(f.length));                                   // [dim/2]
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(inv);       // [B,T,dim/2]
        NDArray emb;
        if (spec.interleaved()) {
            Shape s = freqs.getShape();
            emb = NDArrays.stack(new NDList(freqs, freqs), 3).reshape(s.get(0), s.get(1), spec.dim()); // f0 f0 f1 f1 ...
        } else {
            emb = freqs.concat(freqs, 2);                                                       // f0..fk f0..fk
        }
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (attentionScaling != 1f) {
            cos = cos.mul(attentionScaling);
            sin = sin.mul(attentionScaling);
        }
        return new NDArray[] {cos.expandDims(1), sin.expandDims(1)};
    }

    /**
     * Rotates the first {@code dim} dimensions of each head.
     *
     * @param x [B,H,T,hd]
     * @param cos [B,1,T,dim]
     * @param sin [B,1,T,dim]
     * @return [B,H,T,hd]
     */
    NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        int dim = spec.dim();
        long hd = x.getShape().get(3);
        NDArray rot = dim == hd ? x : x.get("..., :" + dim);
        NDArray turned = spec.interleaved() ? rotateEveryTwo(rot) : rotateHalf(rot);
        NDArray rotated = rot.mul(cos).add(turned.mul(sin));
        return dim == hd ? rotated : rotated.concat(x.get("..., " + dim + ":"), 3);
    }

    /** (x1, x2) → (-x2, x1) with x1 the first half, x2 the second. */
    private static NDArray rotateHalf(NDArray x) {
        long half = x.getShape().get(3) / 2;
        NDArray x1 = x.get("..., :" + half);
        NDArray x2 = x.get("..., " + half + ":");
        return x2.neg().concat(x1, 3);
    }

    /** Pairs (x[2i], x[2i+1]) → (-x[2i+1], x[2i]) (GPT-J rotate_every_two). */
    private static NDArray rotateEveryTwo(NDArray x) {
        Shape s = x.getShape();
        NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2);
        NDArray even = pairs.get("..., 0");
        NDArray odd = pairs.get("..., 1");
        return NDArrays.stack(new NDList(odd.neg(), even), 4).reshape(s);
    }
}
