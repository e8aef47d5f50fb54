/** `cdktf synth` entry of the quickstart (see cdktf.json). */
import { synthQuickstart } from './stack';

synthQuickstart({ ...(process.env.APIGW_BASE_IMAGE ? { baseImage: process.env.APIGW_BASE_IMAGE } : {}) });
