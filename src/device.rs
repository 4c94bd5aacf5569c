//! Picking a burn backend by name at run time: the `--device` flag of the CLI and the
//! examples. Models and losses take a [`Device`], so this is the only place that names
//! backends.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

/// A backend named on the command line.
///
/// | name | device |
/// |---|---|
/// | `cpu` | the fastest CPU backend built: flex, else ndarray |
/// | `flex`, `ndarray` | that CPU backend |
/// | `wgpu` | wgpu's default adapter (the high-power GPU when there is one; `CUBECL_WGPU_DEFAULT_DEVICE` overrides) |
/// | `wgpu:N` | the N-th discrete GPU |
/// | `vulkan` | wgpu's default adapter through Vulkan with SPIR-V shaders (`vulkan` feature) |
/// | `cuda`, `cuda:N` | the (N-th) NVIDIA GPU through CUDA (`cuda` feature) |
///
/// A backend that is not compiled in (`wgpu` needs the `wgpu` cargo feature) is an error from
/// [`DeviceChoice::device`], not from parsing, so `--help` and parsing behave the same in every
/// build.
///
/// ```
/// use molkd::DeviceChoice;
///
/// let choice: DeviceChoice = "cpu".parse().unwrap();
/// let device = choice.device().unwrap();
/// let x = burn::tensor::Tensor::<1>::ones([3], &device);
/// assert_eq!(x.sum().into_scalar::<f32>(), 3.0);
/// assert_eq!("wgpu:1".parse::<DeviceChoice>().unwrap(), DeviceChoice::DiscreteGpu(1));
/// assert!("tpu".parse::<DeviceChoice>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The fastest CPU backend built.
    #[default]
    Cpu,
    /// burn's flex CPU backend.
    Flex,
    /// burn's ndarray CPU backend.
    Ndarray,
    /// wgpu's default adapter.
    Wgpu,
    /// wgpu on the discrete GPU with this index.
    DiscreteGpu(usize),
    /// wgpu's default adapter through Vulkan, SPIR-V shaders.
    Vulkan,
    /// The NVIDIA GPU with this index, through CUDA.
    Cuda(usize),
}

/// A backend that this build of molkd does not include.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device `{name}`: this build has no {name} backend; rebuild with `--features {feature}`")]
pub struct DeviceNotBuilt {
    /// The backend asked for.
    pub name: &'static str,
    /// The cargo feature of the `molkd` crate that builds it.
    pub feature: &'static str,
}

impl DeviceChoice {
    /// The device, or which cargo feature would build it.
    pub fn device(self) -> Result<Device, DeviceNotBuilt> {
        match self {
            DeviceChoice::Cpu => cpu_device(),
            DeviceChoice::Flex => flex_device(),
            DeviceChoice::Ndarray => ndarray_device(),
            DeviceChoice::Wgpu => wgpu_device(burn::tensor::DeviceKind::DefaultDevice),
            DeviceChoice::DiscreteGpu(i) => wgpu_device(burn::tensor::DeviceKind::DiscreteGpu(i)),
            DeviceChoice::Vulkan => vulkan_device(),
            DeviceChoice::Cuda(i) => cuda_device(i),
        }
    }
}

/// [`crate::default_cpu_device`] when a CPU backend is built: that function owns the choice.
fn cpu_device() -> Result<Device, DeviceNotBuilt> {
    #[cfg(any(feature = "flex", feature = "ndarray"))]
    return Ok(crate::default_cpu_device());
    #[cfg(not(any(feature = "flex", feature = "ndarray")))]
    Err(DeviceNotBuilt {
        name: "cpu",
        feature: "flex",
    })
}

fn flex_device() -> Result<Device, DeviceNotBuilt> {
    #[cfg(feature = "flex")]
    return Ok(Device::flex());
    #[cfg(not(feature = "flex"))]
    Err(DeviceNotBuilt {
        name: "flex",
        feature: "flex",
    })
}

fn ndarray_device() -> Result<Device, DeviceNotBuilt> {
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    return Ok(Device::ndarray());
    #[cfg(not(feature = "ndarray"))]
    Err(DeviceNotBuilt {
        name: "ndarray",
        feature: "ndarray",
    })
}

#[cfg_attr(not(feature = "wgpu"), allow(unused_variables))]
fn wgpu_device(kind: burn::tensor::DeviceKind) -> Result<Device, DeviceNotBuilt> {
    #[cfg(feature = "wgpu")]
    return Ok(Device::wgpu(kind));
    #[cfg(not(feature = "wgpu"))]
    Err(DeviceNotBuilt {
        name: "wgpu",
        feature: "wgpu",
    })
}

fn vulkan_device() -> Result<Device, DeviceNotBuilt> {
    #[cfg(feature = "vulkan")]
    return Ok(Device::vulkan(burn::tensor::DeviceKind::DefaultDevice));
    #[cfg(not(feature = "vulkan"))]
    Err(DeviceNotBuilt {
        name: "vulkan",
        feature: "vulkan",
    })
}

#[cfg_attr(not(feature = "cuda"), allow(unused_variables))]
fn cuda_device(index: usize) -> Result<Device, DeviceNotBuilt> {
    #[cfg(feature = "cuda")]
    return Ok(Device::cuda(index));
    #[cfg(not(feature = "cuda"))]
    Err(DeviceNotBuilt {
        name: "cuda",
        feature: "cuda",
    })
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "flex" => Ok(DeviceChoice::Flex),
            "ndarray" => Ok(DeviceChoice::Ndarray),
            "wgpu" | "gpu" => Ok(DeviceChoice::Wgpu),
            "vulkan" => Ok(DeviceChoice::Vulkan),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            other => {
                let index = |i: &str, example: &str| {
                    i.parse::<usize>().map_err(|_| {
                        format!(
                            "device `{other}`: the GPU index must be a number, as in `{example}`"
                        )
                    })
                };
                if let Some(i) = other.strip_prefix("wgpu:") {
                    index(i, "wgpu:0").map(DeviceChoice::DiscreteGpu)
                } else if let Some(i) = other.strip_prefix("cuda:") {
                    index(i, "cuda:0").map(DeviceChoice::Cuda)
                } else {
                    Err(format!(
                        "unknown device `{other}`: expected cpu, flex, ndarray, wgpu, wgpu:N, \
                         vulkan, cuda or cuda:N"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => f.write_str("cpu"),
            DeviceChoice::Flex => f.write_str("flex"),
            DeviceChoice::Ndarray => f.write_str("ndarray"),
            DeviceChoice::Wgpu => f.write_str("wgpu"),
            DeviceChoice::DiscreteGpu(i) => write!(f, "wgpu:{i}"),
            DeviceChoice::Vulkan => f.write_str("vulkan"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for choice in [
            DeviceChoice::Cpu,
            DeviceChoice::Flex,
            DeviceChoice::Ndarray,
            DeviceChoice::Wgpu,
            DeviceChoice::DiscreteGpu(2),
            DeviceChoice::Vulkan,
            DeviceChoice::Cuda(1),
        ] {
            assert_eq!(choice.to_string().parse::<DeviceChoice>(), Ok(choice));
        }
        assert_eq!("gpu".parse::<DeviceChoice>(), Ok(DeviceChoice::Wgpu));
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        let err = "tpu".parse::<DeviceChoice>().unwrap_err();
        assert!(err.contains("expected cpu, flex, ndarray, wgpu"), "{err}");
        assert_eq!("cuda".parse::<DeviceChoice>(), Ok(DeviceChoice::Cuda(0)));
        let err = "wgpu:x".parse::<DeviceChoice>().unwrap_err();
        assert!(err.contains("GPU index"), "{err}");
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn a_backend_not_built_names_its_feature() {
        let err = DeviceChoice::Wgpu.device().unwrap_err();
        assert!(err.to_string().contains("--features wgpu"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_not_built_names_its_feature() {
        let err = DeviceChoice::Cuda(0).device().unwrap_err();
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }
}
