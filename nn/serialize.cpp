// Module state <-> safetensors files, through StateDict.
#include "nn/serialize.hpp"

namespace xg::nn {

void save(const Module& module, const std::string& path) { xg::save(module.state_dict(), path); }

IncompatibleKeys load(Module& module, const std::string& path, bool strict) {
    const StateDict dict = xg::load(path);
    try {
        return module.load_state_dict(dict, strict);
    } catch (const Error& e) {
        throw Error("nn::load: " + path + ": " + e.what());
    }
}

}  // namespace xg::nn
