package dev.emend.model;

import ai.djl.ndarray.NDArray;
import dev.emend.ConfigException;
import dev.emend.tensor.Tensors;

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

    /** 2 √(2/π): 0.5 (1 + tanh z) = σ(2z). */
    private static final double TWO_SQRT_2_OVER_PI = 2 * Math.sqrt(2.0 / Math.PI);

    /**
     * Applies the function element-wise.
     *
     * @param x any shape
     * @return same shape
     */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case GELU -> ai.djl.nn.Activation.gelu(x);
            // HF NewGELUActivation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) = x σ(x (a + b x²)),
            // a = 2√(2/π), b = 0.044715 a. No pow (a slow path in libtorch) and no Java-memory scalars.
            case GELU_TANH -> x.mul(x.square().mul(Tensors.scalar(x, 0.044715 * TWO_SQRT_2_OVER_PI))
                    .add(Tensors.scalar(x, TWO_SQRT_2_OVER_PI)).mul(x).getNDArrayInternal().sigmoid());
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
