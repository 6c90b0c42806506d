package dev.emend.model;

import ai.djl.ndarray.NDArray;
import dev.emend.ConfigException;

/** MLP non-linearities, by their HF {@code hidden_act}/{@code activation_function} names. */
public enum Activation {
    /** Exact GELU, {@code x Φ(x)} (HF "gelu"). */
    GELU,
    /** Tanh-approximated GELU (HF "gelu_new", "gelu_pytorch_tanh", "gelu_fast"). */
    GELU_TANH,
    /** {@code x σ(x)} (HF "silu", "swish"). */
    SILU,
    /** {@code max(x, 0)}. */
    RELU;

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    /**
     * Applies the function element-wise.
     *
     * @param x any shape
     * @return same shape
     */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case GELU -> ai.djl.nn.Activation.gelu(x);
            // HF NewGELUActivation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            case GELU_TANH -> x.mul(0.5f).mul(x.add(x.pow(3f).mul(0.044715f)).mul(SQRT_2_OVER_PI).tanh().add(1f));
            case SILU -> x.mul(x.getNDArrayInternal().sigmoid());
            case RELU -> x.getNDArrayInternal().relu();
        };
    }

    /**
     * Parses an HF activation name.
     *
     * @param name e.g. "gelu_new"
     * @return the activation
     * @throws ConfigException for unknown names
     */
    public static Activation fromHf(String name) {
        return switch (name) {
            case "gelu" -> GELU;
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
            case "silu", "swish" -> SILU;
            case "relu" -> RELU;
            default -> throw new ConfigException(
                    "activation '%s' is not supported; supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, relu"
                            .formatted(name));
        };
    }
}
