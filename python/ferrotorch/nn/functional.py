"""``nn.functional`` (the ops available so far; composed from differentiable tensor ops)."""


def linear(input, weight, bias=None):
    out = input @ weight.t()
    return out + bias if bias is not None else out


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()
