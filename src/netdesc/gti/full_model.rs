//! The full-model JSON of GTI's MDKs (`fullmodel_def*.json`, `*_model.json`, gti.md §4.2):
//! the image reader, one `GTICNN` per chip, host layers (`FC`, `SOFTMAX`, `LABEL`), with
//! GTI's key names (spaces included). Unknown keys are refused; `null` values and absent
//! keys are kept apart, so a file reads back and writes out the same.

use super::GtiJson;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole full-model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullModel {
    pub name: String,
    pub layer: Vec<ModelLayer>,
    /// 100 for SDK 5 (the converter adds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// qtool's own extras; never written for GTI's tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qtool: Option<Value>,
}

/// What a full-model layer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    #[serde(rename = "IMAGEREADER")]
    ImageReader,
    #[serde(rename = "GTICNN")]
    GtiCnn,
    #[serde(rename = "FC")]
    Fc,
    #[serde(rename = "SOFTMAX")]
    Softmax,
    #[serde(rename = "LABEL")]
    Label,
}

/// One layer of the full model; which keys appear depends on the operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub operation: Operation,
    /// A path, or `null` (`Some(Value::Null)`; absent is `None`).
    #[serde(
        rename = "data file",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_file: Option<Value>,
    /// A number, or `null`.
    #[serde(
        rename = "data offset",
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_offset: Option<Value>,
    #[serde(
        rename = "input format",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub input_format: Option<String>,
    #[serde(
        rename = "output format",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<CnnDevice>,
    /// The SDK's model-tool mode (2801: 0, 1, 2 or 4; meaning not public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<i64>,
    #[serde(
        rename = "output scaledown",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_scaledown: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<String>,
    #[serde(
        rename = "output channels",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_channels: Option<usize>,
    #[serde(
        rename = "output height",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_height: Option<usize>,
    #[serde(
        rename = "output width",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_width: Option<usize>,
    /// SDK 5: the chip's input tensors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<TensorIn>>,
    /// SDK 5: the chip's output tensors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<TensorOut>>,
}

/// A key that is present, `null` included (absent keys take the `default`, `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The `device` object of a `GTICNN` layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CnnDevice {
    /// The chip number as a string (`"2803"`).
    pub chip: String,
    #[serde(rename = "type")]
    pub kind: i64,
    /// `null` in GTI's files.
    pub name: Value,
    #[serde(rename = "emmc delay")]
    pub emmc_delay: i64,
}

/// An input tensor of a `GTICNN` layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorIn {
    pub format: String,
    pub prefilter: String,
    /// `[H, W, C]`.
    pub shape: Vec<usize>,
}

/// An output tensor of a `GTICNN` layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorOut {
    pub format: String,
    pub postfilter: String,
    /// `[H, W, C, tile², bytes]`.
    pub shape: Vec<usize>,
    #[serde(rename = "layer scaledown")]
    pub layer_scaledown: i64,
    pub upsampling: i64,
}

impl GtiJson for FullModel {
    fn without_extras(&self) -> Self {
        FullModel {
            qtool: None,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gti.md §4.2, the SDK-4 example.
    const VGG16_DEMO: &str = r#"{
  "name": "vgg16_demo",
  "layer": [
    {"name": "image reader", "operation": "IMAGEREADER", "data file": null, "data offset": null,
     "input format": "CS_BGR24_PLANAR", "output format": "CS_BGR24_PLANAR",
     "output channels": 3, "output height": 224, "output width": 224},
    {"name": "cnn", "operation": "GTICNN", "data file": "out/chip.dat", "data offset": 0,
     "device": {"chip": "2801", "type": 0, "name": null, "emmc delay": 12000},
     "mode": 0, "output scaledown": 3,
     "output channels": 512, "output height": 7, "output width": 7},
    {"name": "fc6", "operation": "FC", "data file": "out/fc6.bin", "data offset": 0,
     "activation": "relu", "output channels": 4096, "output height": 1, "output width": 1},
    {"name": "fc7", "operation": "FC", "data file": "out/fc7.bin", "data offset": 0,
     "activation": "relu", "output channels": 4096, "output height": 1, "output width": 1},
    {"name": "fc8", "operation": "FC", "data file": "out/fc8.bin", "data offset": 0,
     "output channels": 10, "output height": 1, "output width": 1},
    {"name": "softmax", "operation": "SOFTMAX", "data file": null, "data offset": null,
     "output channels": 10, "output height": 1, "output width": 1},
    {"name": "label", "operation": "LABEL", "data file": "out/labels.txt", "data offset": 0,
     "output channels": 5, "output height": 1, "output width": 1}
  ]
}"#;

    /// gti.md §4.2, the SDK-5 form of the CNN stage.
    const SDK5_CNN: &str = r#"{"name": "cnn", "operation": "GTICNN", "data file": "out/chip.dat", "data offset": 0,
 "device": {"chip": "2801", "type": 0, "name": null, "emmc delay": 12000}, "mode": 0,
 "output channels": 512, "output height": 7, "output width": 7,
 "inputs":  [{"format": "byte", "prefilter": "interlace_tile_encode", "shape": [224, 224, 3]}],
 "outputs": [{"format": "byte", "postfilter": "fc77_decode", "shape": [7, 7, 512, 49, 32768],
              "layer scaledown": 3, "upsampling": 0}]}"#;

    #[test]
    fn examples_round_trip_byte_identical() {
        let sdk5 =
            format!("{{\"name\": \"vgg16_demo\", \"layer\": [{SDK5_CNN}], \"version\": 100}}");
        for text in [VGG16_DEMO, sdk5.as_str()] {
            let model = FullModel::from_json(text).unwrap();
            let first = model.to_json();
            let again = FullModel::from_json(&first).unwrap();
            assert_eq!(again, model);
            assert_eq!(again.to_json(), first);
        }
        let model = FullModel::from_json(VGG16_DEMO).unwrap();
        assert_eq!(model.layer[0].data_file, Some(Value::Null));
        assert_eq!(model.layer[4].activation, None);
        assert_eq!(model.layer[1].device.as_ref().unwrap().emmc_delay, 12000);
        assert!(model.to_json().contains("\"data file\": null"));
        let cnn = &FullModel::from_json(&sdk5).unwrap().layer[0];
        assert_eq!(
            cnn.outputs.as_ref().unwrap()[0].shape,
            [7, 7, 512, 49, 32768]
        );
    }

    #[test]
    fn unknown_keys_and_operations_are_refused() {
        let bad = VGG16_DEMO.replace("\"mode\": 0,", "\"mode\": 0, \"moed\": 1,");
        let err = FullModel::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains("unknown field `moed`"), "{err}");
        let bad = VGG16_DEMO.replace("\"SOFTMAX\"", "\"SOFTMIN\"");
        assert!(FullModel::from_json(&bad).is_err());
    }
}
